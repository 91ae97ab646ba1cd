import type { TopicSpec } from '@streamfold/messaging';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The framework's own telemetry topics. Every Streamfold process writes to them whatever contexts
 * it hosts, so the host creates them like `dead_letters`. Keyed by service: one service's lines
 * stay in order on one partition.
 */
export const APP_LOGS_TOPIC: TopicSpec = { name: 'app_logs', partitions: 6, retentionMs: 7 * DAY_MS };
/** Snapshots of each process's prom-client registry, keyed by service. */
export const APP_METRICS_TOPIC: TopicSpec = { name: 'app_metrics', partitions: 3, retentionMs: 7 * DAY_MS };

/** Wire names of the telemetry events; never renamed (a new type is added instead). */
export const AppTelemetryType = {
  LogRecorded: 'streamfold.LogRecorded',
  LogsDropped: 'streamfold.LogsDropped',
  MetricsSnapshotTaken: 'streamfold.MetricsSnapshotTaken',
} as const;

/** pino's numeric levels by name (pino's defaults, which every pino logger shares). */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
/** A pino level name. */
export type LogLevelName = keyof typeof LOG_LEVELS;

/** Name of a pino numeric level; levels between the defaults round down, below trace is trace. */
export function levelName(level: number): LogLevelName {
  let name: LogLevelName = 'trace';
  for (const [n, v] of Object.entries(LOG_LEVELS) as Array<[LogLevelName, number]>) if (level >= v) name = n;
  return name;
}

/** One log line as shipped: who wrote it, when (event time is the line's own `time`), and the line. */
export interface LogRecordedData {
  service: string;
  instance: string;
  level: LogLevelName;
  msg: string;
  /** The rest of the pino object (context, req, err ...), minus level, time, msg, pid, hostname. */
  fields: Record<string, unknown>;
}

/** Lines an instance refused while its buffer was full (Kafka away), reported once it had room again. */
export interface LogsDroppedData {
  service: string;
  instance: string;
  count: number;
  /** Total refused by this instance since it started; the sum of `count` over its reports. */
  total: number;
}

/** One series of a metric at snapshot time (prom-client's `get()` shape, kept as is). */
export interface MetricSample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** One metric of a snapshot. Histograms carry cumulative `_bucket` (with `le`), `_sum` and `_count` samples. */
export interface MetricSnapshotEntry {
  name: string;
  type: string;
  help: string;
  values: MetricSample[];
}

/** A process's whole registry at one instant; counters and histograms are cumulative since it started. */
export interface MetricsSnapshotTakenData {
  service: string;
  instance: string;
  metrics: MetricSnapshotEntry[];
}
