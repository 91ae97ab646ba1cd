import { Histogram, Registry } from 'prom-client';

/**
 * The stages of the real-time path, in order (issue 17): a command acknowledged to its client,
 * its events stored → relayed to the log, relayed → delivered to a consumer, delivered →
 * committed with the read model, committed → pushed to a live subscriber. Their sum is what a
 * client waits between a command and seeing it.
 */
export const STAGES = ['acknowledged', 'stored_to_relayed', 'relayed_to_delivered', 'delivered_to_committed', 'committed_to_pushed'] as const;
/** One of STAGES. */
export type Stage = (typeof STAGES)[number];

/** Buckets from 1 ms to 10 s: fine where the targets are (50 and 150 ms), coarse where they are missed. */
export const STAGE_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** Header the relay stamps on each message with the epoch ms it sent it (relayed → delivered). */
export const RELAYED_AT_HEADER = 'sf-relayed-at';

/**
 * Records the seconds one event (or one batch) spent in a stage. The consumer stages
 * (relayed_to_delivered, delivered_to_committed) also name the projection or processor, so one
 * read model's path can be told from the others' (a processor gathering for 100 ms is not the
 * like counter's latency).
 */
export interface StageLatency {
  observe(stage: Stage, seconds: number, projection?: string): void;
  /** Seconds since an epoch-ms instant, clamped at 0 (clocks of one host, but a re-send may be older). */
  since(stage: Stage, epochMs: number, now?: number, projection?: string): void;
}

/**
 * `streamfold_stage_latency_seconds{stage[, projection]}` on this registry, created once and shared
 * by every component of the process (relay, runners, HTTP, live push).
 */
export function stageLatency(registry: Registry): StageLatency {
  const histogram =
    (registry.getSingleMetric('streamfold_stage_latency_seconds') as Histogram<'stage' | 'projection'> | undefined) ??
    new Histogram({
      name: 'streamfold_stage_latency_seconds',
      help: 'Seconds spent per stage of the real-time path: acknowledged, stored_to_relayed, relayed_to_delivered, delivered_to_committed (these two per projection), committed_to_pushed',
      labelNames: ['stage', 'projection'],
      buckets: STAGE_BUCKETS,
      registers: [registry],
    });
  const labels = (stage: Stage, projection: string | undefined) => (projection === undefined ? { stage } : { stage, projection });
  return {
    observe: (stage, seconds, projection) => histogram.observe(labels(stage, projection), seconds),
    since: (stage, epochMs, now = Date.now(), projection) => {
      if (Number.isFinite(epochMs)) histogram.observe(labels(stage, projection), Math.max(0, now - epochMs) / 1000);
    },
  };
}
