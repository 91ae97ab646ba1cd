/**
 * When a service's error ratio over the last five minutes of event time crosses the policy's
 * level. Pure and per line, so a replay of the same lines in the same order gives the same
 * alerts, whatever the batch sizes were.
 */

/** When to alert; validated at boot (see ops.config.ts). */
export interface ErrorRatePolicy {
  /** Error lines (error, fatal) over all lines at or above which the service is alerting, in (0, 1]. */
  threshold: number;
  /** Lines the window needs before a ratio counts: two errors out of three lines is noise. */
  minLines: number;
  /** @default 5 minutes */
  windowMs: number;
}

export const MINUTE_MS = 60_000;

/** Lines and error lines per one-minute bucket of event time. */
export interface ErrorRateState {
  /** Latest event time seen (ms). */
  watermark: number;
  /** Bucket start (ms, as a string key) → counts; only buckets inside the window are kept. */
  minutes: Record<string, { lines: number; errors: number }>;
  alerting: boolean;
  /** Lines older than the window when they arrived: they cannot change it, so they are counted and skipped. */
  late: number;
}

/** What the window shows after a line, when it crossed the level. */
export interface ErrorRateChange {
  kind: 'exceeded' | 'recovered';
  ratio: number;
  lines: number;
  errors: number;
  windowStart: number;
  windowEnd: number;
}

export const INITIAL_ERROR_RATE: ErrorRateState = { watermark: 0, minutes: {}, alerting: false, late: 0 };

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Error and fatal lines count as errors. */
export const isErrorLevel = (level: string) => level === 'error' || level === 'fatal';

/** The window's first bucket start for a watermark: the buckets of the last windowMs, the watermark's minute included. */
export const windowStartOf = (watermark: number, policy: ErrorRatePolicy) => minuteOf(watermark) - policy.windowMs + MINUTE_MS;

/** Folds one line into the window and says whether the alert state changed. */
export function observeLine(
  state: ErrorRateState,
  atMs: number,
  isError: boolean,
  policy: ErrorRatePolicy,
): { state: ErrorRateState; change: ErrorRateChange | null; ignored?: string } {
  const watermark = Math.max(state.watermark, atMs);
  const windowStart = windowStartOf(watermark, policy);
  if (minuteOf(atMs) < windowStart) return { state: { ...state, late: state.late + 1 }, change: null, ignored: 'older than the error-rate window' };
  const minutes: ErrorRateState['minutes'] = {};
  for (const [start, c] of Object.entries(state.minutes)) if (Number(start) >= windowStart) minutes[start] = c;
  const key = String(minuteOf(atMs));
  const bucket = minutes[key] ?? { lines: 0, errors: 0 };
  minutes[key] = { lines: bucket.lines + 1, errors: bucket.errors + (isError ? 1 : 0) };
  let lines = 0;
  let errors = 0;
  for (const c of Object.values(minutes)) {
    lines += c.lines;
    errors += c.errors;
  }
  const ratio = lines === 0 ? 0 : errors / lines;
  const above = lines >= policy.minLines && ratio >= policy.threshold;
  // Recovery needs the ratio back below the level; a quiet window (few lines) keeps the alert as it was.
  const below = ratio < policy.threshold;
  const next: ErrorRateState = { watermark, minutes, alerting: state.alerting, late: state.late };
  let kind: ErrorRateChange['kind'] | null = null;
  if (!state.alerting && above) kind = 'exceeded';
  if (state.alerting && below) kind = 'recovered';
  if (!kind) return { state: next, change: null };
  next.alerting = kind === 'exceeded';
  return { state: next, change: { kind, ratio, lines, errors, windowStart, windowEnd: minuteOf(watermark) + MINUTE_MS } };
}
