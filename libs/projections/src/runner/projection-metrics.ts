import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus series of every runner in a process. Several runners (projections, versions) share
 * one registry, and prom-client refuses a name registered twice, so each series is created once
 * and looked up afterwards.
 */
export class ProjectionMetrics {
  private readonly lag: Gauge<'projection' | 'topic' | 'partition'>;
  private readonly applied: Counter<'projection'>;
  private readonly deadLettered: Counter<'projection'>;
  private readonly duration: Histogram<'projection'>;

  constructor(registry: Registry) {
    this.lag = existing(registry, 'streamfold_projection_lag') ??
      new Gauge({ name: 'streamfold_projection_lag', help: 'Messages between the checkpoint and the end of the partition', labelNames: ['projection', 'topic', 'partition'], registers: [registry] });
    this.applied = existing(registry, 'streamfold_projection_events_applied_total') ??
      new Counter({ name: 'streamfold_projection_events_applied_total', help: 'Events applied to a read model', labelNames: ['projection'], registers: [registry] });
    this.deadLettered = existing(registry, 'streamfold_projection_dead_letters_total') ??
      new Counter({ name: 'streamfold_projection_dead_letters_total', help: 'Events moved to the dead letters', labelNames: ['projection'], registers: [registry] });
    this.duration = existing(registry, 'streamfold_projection_batch_duration_seconds') ??
      new Histogram({
        name: 'streamfold_projection_batch_duration_seconds',
        help: 'Time to apply one partition batch and commit its checkpoint',
        labelNames: ['projection'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      });
  }

  batch(projection: string, topic: string, partition: number, result: { applied: number; deadLettered: number; seconds: number; lag: number }): void {
    this.lag.set({ projection, topic, partition: String(partition) }, result.lag);
    if (result.applied > 0) this.applied.inc({ projection }, result.applied);
    if (result.deadLettered > 0) this.deadLettered.inc({ projection }, result.deadLettered);
    this.duration.observe({ projection }, result.seconds);
  }
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}
