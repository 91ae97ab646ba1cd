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
 * Which path an observation belongs to: the consumer stages (relayed_to_delivered,
 * delivered_to_committed) name the projection or processor, stored_to_relayed the topic (a like
 * and a processor's derived event take different ways to the relay), so one read model's path can
 * be told from the others' (a processor gathering for 100 ms is not the like counter's latency).
 */
export interface StageLabels {
  projection?: string;
  topic?: string;
}

/** Records the seconds one event (or one batch) spent in a stage. */
export interface StageLatency {
  observe(stage: Stage, seconds: number, labels?: StageLabels): void;
  /** Seconds since an epoch-ms instant, clamped at 0 (clocks of one host, but a re-send may be older). */
  since(stage: Stage, epochMs: number, now?: number, labels?: StageLabels): void;
}

/**
 * `streamfold_stage_latency_seconds{stage[, projection | topic]}` on this registry, created once and shared
 * by every component of the process (relay, runners, HTTP, live push).
 */
export function stageLatency(registry: Registry): StageLatency {
  const histogram =
    (registry.getSingleMetric('streamfold_stage_latency_seconds') as Histogram<'stage' | 'projection' | 'topic'> | undefined) ??
    new Histogram({
      name: 'streamfold_stage_latency_seconds',
      help: 'Seconds spent per stage of the real-time path: acknowledged, stored_to_relayed (per topic), relayed_to_delivered, delivered_to_committed (these two per projection), committed_to_pushed',
      labelNames: ['stage', 'projection', 'topic'],
      buckets: STAGE_BUCKETS,
      registers: [registry],
    });
  return {
    observe: (stage, seconds, labels) => histogram.observe({ stage, ...labels }, seconds),
    since: (stage, epochMs, now = Date.now(), labels) => {
      if (Number.isFinite(epochMs)) histogram.observe({ stage, ...labels }, Math.max(0, now - epochMs) / 1000);
    },
  };
}
