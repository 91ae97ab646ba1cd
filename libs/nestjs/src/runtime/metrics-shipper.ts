import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_METRICS_TOPIC, AppTelemetryType, MetricsSnapshotTakenData } from '@streamfold/eventstore';
import { Counter } from 'prom-client';
import { MetricsService } from './metrics';
import { TELEMETRY_SHIPPING, TelemetryShipping } from './telemetry-shipping';

/**
 * Ships a snapshot of the process's registry to `app_metrics` every METRICS_SHIP_INTERVAL_SECONDS
 * (and once more at shutdown, so the last interval's counts are not lost). Counters and
 * histograms stay cumulative: a reader takes per-instance differences, which survive a lost or
 * dropped snapshot. Also exports the shipper's own drop counters.
 */
@Injectable()
export class MetricsShipper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private snapshotsDropped = 0;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(TELEMETRY_SHIPPING) private readonly shipping: TelemetryShipping,
  ) {
    const registry = metrics.registry;
    const logs = shipping.logs;
    let countedLogs = 0;
    let countedSnapshots = 0;
    const self = this;
    // The values live in the shipper (counted on its hot path without prom-client); collect() moves the difference.
    new Counter({
      name: 'streamfold_logs_dropped_total',
      help: 'Log lines refused because the shipping buffer was full (Kafka away or slow)',
      registers: [registry],
      collect() {
        const now = logs?.dropped ?? 0;
        this.inc(now - countedLogs);
        countedLogs = now;
      },
    });
    new Counter({
      name: 'streamfold_metrics_snapshots_dropped_total',
      help: 'Metric snapshots refused because the shipping buffer was full',
      registers: [registry],
      collect() {
        this.inc(self.snapshotsDropped - countedSnapshots);
        countedSnapshots = self.snapshotsDropped;
      },
    });
  }

  onApplicationBootstrap(): void {
    const seconds = this.shipping.config.metricsShipIntervalSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => void this.ship(), seconds * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    await this.ship();
  }

  /** Takes one snapshot and hands it to the buffer; false when the buffer refused it. */
  async ship(): Promise<boolean> {
    const metrics = (await this.metrics.registry.getMetricsAsJSON()) as unknown as MetricsSnapshotTakenData['metrics'];
    const { serviceName } = this.shipping.config;
    const data: MetricsSnapshotTakenData = { service: serviceName, instance: this.shipping.instance, metrics };
    const ok = this.shipping.producer.tryPublish(APP_METRICS_TOPIC.name, serviceName, AppTelemetryType.MetricsSnapshotTaken, data, new Date());
    if (!ok) this.snapshotsDropped++;
    return ok;
  }
}
