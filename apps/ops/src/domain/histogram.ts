/**
 * Prometheus histograms as plain data, merged the way Prometheus does it: percentiles of many
 * processes come from their summed bucket counts, never from averaging each process's percentiles
 * (an average of p99s is not a p99 of anything).
 */

/** Cumulative count per upper bound `le` ("0.005", …, "+Inf"), as prom-client and Prometheus write them. */
export type Buckets = Record<string, number>;

/** One histogram's cumulative totals (or the difference of two of them). */
export interface HistogramTotals {
  buckets: Buckets;
  count: number;
  sum: number;
}

/** The part of a metric snapshot this module reads (prom-client's `getMetricsAsJSON()` shape). */
export interface SnapshotMetric {
  name: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

export const EMPTY_HISTOGRAM: HistogramTotals = { buckets: {}, count: 0, sum: 0 };

/** One histogram of a snapshot summed over all its label sets (routes, methods, statuses); null when absent. */
export function histogramOf(metrics: readonly SnapshotMetric[], name: string): HistogramTotals | null {
  const metric = metrics.find((m) => m.name === name);
  if (!metric) return null;
  const totals: HistogramTotals = { buckets: {}, count: 0, sum: 0 };
  for (const { value, labels, metricName } of metric.values) {
    if (metricName === `${name}_bucket`) {
      const le = String(labels.le);
      totals.buckets[le] = (totals.buckets[le] ?? 0) + value;
    } else if (metricName === `${name}_count`) totals.count += value;
    else if (metricName === `${name}_sum`) totals.sum += value;
  }
  return totals;
}

/**
 * What one instance observed between two of its snapshots. Counters only grow within a process; a
 * smaller count means the counters restarted (a new process reusing the instance id), and then
 * everything in the new snapshot is new, as Prometheus' `increase()` treats a reset.
 */
export function histogramDelta(previous: HistogramTotals | null, current: HistogramTotals): HistogramTotals {
  if (!previous || current.count < previous.count) return current;
  const buckets: Buckets = {};
  for (const [le, n] of Object.entries(current.buckets)) buckets[le] = n - (previous.buckets[le] ?? 0);
  return { buckets, count: current.count - previous.count, sum: current.sum - previous.sum };
}

/** Adds histograms bucket by bucket (instances of a service, minutes of a window). */
export function mergeHistograms(parts: readonly HistogramTotals[]): HistogramTotals {
  const out: HistogramTotals = { buckets: {}, count: 0, sum: 0 };
  for (const p of parts) {
    for (const [le, n] of Object.entries(p.buckets)) out.buckets[le] = (out.buckets[le] ?? 0) + n;
    out.count += p.count;
    out.sum += p.sum;
  }
  return out;
}

const upper = (le: string) => (le === '+Inf' ? Infinity : Number(le));

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket that holds the
 * rank, exactly as Prometheus' `histogram_quantile`: null without observations; a rank in the
 * +Inf bucket answers the largest finite bound; the first bucket's lower bound is 0.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  const sorted = Object.entries(buckets).map(([le, n]) => ({ le: upper(le), n })).filter((b) => !Number.isNaN(b.le)).sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1].le !== Infinity) return null;
  const total = sorted[sorted.length - 1].n;
  if (total <= 0) return null;
  const rank = q * total;
  const i = sorted.findIndex((b) => b.n >= rank);
  if (i === sorted.length - 1) return sorted[sorted.length - 2].le;
  if (i === 0 && sorted[0].le <= 0) return sorted[0].le;
  const start = i === 0 ? 0 : sorted[i - 1].le;
  const below = i === 0 ? 0 : sorted[i - 1].n;
  const inBucket = sorted[i].n - below;
  if (inBucket <= 0) return sorted[i].le;
  return start + (sorted[i].le - start) * ((rank - below) / inBucket);
}
