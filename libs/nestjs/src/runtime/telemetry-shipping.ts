import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LogShipper, TelemetryProducer } from '@streamfold/eventstore';
import type { MessageLog } from '@streamfold/messaging';
import type { StreamfoldConfig } from '@streamfold/runtime';
import pino, { DestinationStream, Level } from 'pino';

/** Nest injection token of the process's TelemetryShipping. */
export const TELEMETRY_SHIPPING = Symbol('TELEMETRY_SHIPPING');

/** Bounds of the shipping buffer; past them lines are dropped (and counted), never waited for. */
export interface TelemetryShippingOptions {
  /** Lines and snapshots queued or in flight. @default 10000 */
  maxBuffered?: number;
  /** How long close() waits for the buffer to reach Kafka. @default 5000 (under runServer's 8 s shutdown deadline) */
  closeTimeoutMs?: number;
  /** Where pino lines go besides app_logs. @default process.stdout */
  stdout?: DestinationStream;
}

/**
 * The process's own logs and metrics on their way to `app_logs` and `app_metrics`: one producer
 * of its own, so a burst of log lines never competes with the application's telemetry for buffer
 * space, and so an outage fills (and drops from) this buffer only. Built before Nest starts because
 * pino's destination is fixed when the logger module is defined; closed after Nest has stopped, so
 * the lines written while shutting down are flushed too.
 */
export class TelemetryShipping {
  readonly instance = `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  readonly producer: TelemetryProducer;
  /** Null when LOG_SHIPPING is off. */
  readonly logs: LogShipper | null;
  private sendFailing = false;

  constructor(log: MessageLog, readonly config: StreamfoldConfig, private readonly options: TelemetryShippingOptions = {}) {
    this.producer = new TelemetryProducer(log, {
      maxBuffered: options.maxBuffered ?? 10_000,
      // Log lines are small (a few hundred bytes): fewer, larger sends keep up with bursts; 1000 stays well under Kafka's 1 MB batch limit.
      batchSize: 1000,
      lingerMs: 50,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      maxBackoffMs: 2000,
      onSendError: (error, topic, count) => this.sendFailed(error, topic, count),
    });
    this.logs = config.logShipping ? new LogShipper(this.producer, { service: config.serviceName, instance: this.instance }) : null;
  }

  /** pino's destination: stdout, plus app_logs when shipping is on, both at the configured level. */
  destination(): DestinationStream {
    const stdout = this.options.stdout ?? process.stdout;
    if (!this.logs) return stdout;
    const level = (this.config.logLevel === 'silent' ? 'fatal' : this.config.logLevel) as Level;
    return pino.multistream([
      { level, stream: stdout },
      { level, stream: this.logs },
    ]);
  }

  /** Ships what is buffered (within closeTimeoutMs); lines written afterwards reach stdout only. */
  async close(): Promise<void> {
    this.logs?.close();
    await this.producer.close().catch((error: Error) => process.stderr.write(`streamfold: log shipping: ${error.message}\n`));
  }

  /** One line per outage, on stderr: through pino it would feed the buffer that is failing to drain. */
  private sendFailed(error: Error, topic: string, count: number): void {
    if (this.sendFailing) return;
    this.sendFailing = true;
    setTimeout(() => (this.sendFailing = false), 30_000).unref();
    process.stderr.write(`streamfold: shipping ${count} messages to ${topic} failed, retrying (lines are dropped and counted while the buffer is full): ${error.message}\n`);
  }
}
