import { INITIAL_ERROR_RATE, MINUTE_MS, observeLine, ErrorRatePolicy, ErrorRateState } from './error-rate';
import { histogramDelta, histogramOf, histogramQuantile, mergeHistograms, SnapshotMetric } from './histogram';

const H = 'streamfold_http_request_duration_seconds';
/** A prom-client histogram as getMetricsAsJSON() writes it, for one label set. */
function snapshot(cumulative: Record<string, number>, sum: number, labels: Record<string, string> = { route: '/a' }): SnapshotMetric {
  const count = cumulative['+Inf'];
  return {
    name: H,
    values: [
      ...Object.entries(cumulative).map(([le, value]) => ({ value, labels: { ...labels, le }, metricName: `${H}_bucket` })),
      { value: sum, labels, metricName: `${H}_sum` },
      { value: count, labels, metricName: `${H}_count` },
    ],
  };
}

/** One metric holding the series of two label sets, as the registry lists them. */
const both = (a: SnapshotMetric, b: SnapshotMetric): SnapshotMetric => ({ name: a.name, values: [...a.values, ...b.values] });

describe('histograms', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile does', () => {
    const b = { '0.1': 50, '0.2': 90, '0.4': 100, '+Inf': 100 };
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.1); // rank 50: the top of the first bucket
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.15); // rank 70: halfway through (0.1, 0.2]
    expect(histogramQuantile(0.95, b)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.25, b)).toBeCloseTo(0.05); // first bucket starts at 0
  });

  it('answers the largest finite bound for a rank in +Inf, and null without observations', () => {
    expect(histogramQuantile(0.99, { '0.1': 1, '1': 1, '+Inf': 10 })).toBe(1);
    expect(histogramQuantile(0.5, { '0.1': 0, '+Inf': 0 })).toBeNull();
    expect(histogramQuantile(0.5, {})).toBeNull();
  });

  it('sums label sets of a snapshot and takes per-instance differences, a reset counting whole', () => {
    const first = histogramOf([both(snapshot({ '0.1': 2, '+Inf': 3 }, 0.5), snapshot({ '0.1': 1, '+Inf': 1 }, 0.05, { route: '/b' }))], H)!;
    expect(first).toEqual({ buckets: { '0.1': 3, '+Inf': 4 }, count: 4, sum: expect.closeTo(0.55) });
    const second = histogramOf([both(snapshot({ '0.1': 5, '+Inf': 9 }, 2, { route: '/a' }), snapshot({ '0.1': 1, '+Inf': 1 }, 0.05, { route: '/b' }))], H)!;
    expect(histogramDelta(first, second)).toEqual({ buckets: { '0.1': 3, '+Inf': 6 }, count: 6, sum: expect.closeTo(1.5) });
    const restarted = { buckets: { '0.1': 1, '+Inf': 1 }, count: 1, sum: 0.01 };
    expect(histogramDelta(second, restarted)).toEqual(restarted);
    expect(histogramDelta(null, first)).toEqual(first);
  });

  it('merges instances bucket by bucket: the p99 of all requests, not the mean of each p99', () => {
    // A fast instance (990 requests under 10 ms) and a slow one (10 requests near 1 s).
    const fast = { buckets: { '0.01': 990, '1': 990, '+Inf': 990 }, count: 990, sum: 5 };
    const slow = { buckets: { '0.01': 0, '1': 10, '+Inf': 10 }, count: 10, sum: 9 };
    const merged = mergeHistograms([fast, slow]);
    expect(merged.count).toBe(1000);
    const p99 = histogramQuantile(0.99, merged.buckets)!;
    expect(p99).toBeCloseTo(0.01); // rank 990 is the last fast request
    const meanOfP99s = (histogramQuantile(0.99, fast.buckets)! + histogramQuantile(0.99, slow.buckets)!) / 2;
    expect(meanOfP99s).toBeGreaterThan(0.4); // what averaging would have claimed
  });
});

describe('error-rate window', () => {
  const policy: ErrorRatePolicy = { threshold: 0.2, minLines: 10, windowMs: 5 * MINUTE_MS };
  const t0 = Date.UTC(2026, 11, 1, 12, 0);
  function run(lines: Array<[atMs: number, isError: boolean]>) {
    let state: ErrorRateState = INITIAL_ERROR_RATE;
    const changes: string[] = [];
    for (const [at, err] of lines) {
      const r = observeLine(state, at, err, policy);
      state = r.state;
      if (r.change) changes.push(`${r.change.kind}@${r.change.lines}:${r.change.errors}`);
    }
    return { state, changes };
  }

  it('waits for the minimum volume, alerts once above the level, recovers once below', () => {
    const lines: Array<[number, boolean]> = [];
    for (let i = 0; i < 9; i++) lines.push([t0 + i * 1000, true]); // nine errors: below the minimum volume
    lines.push([t0 + 9000, false]); // ten lines, nine errors: alert
    for (let i = 0; i < 40; i++) lines.push([t0 + 10_000 + i * 1000, false]); // 9/50 = 0.18 < 0.2: recovered
    expect(run(lines).changes).toEqual(['exceeded@10:9', 'recovered@46:9']);
  });

  it('forgets minutes older than five minutes of event time and counts late lines without folding them', () => {
    const lines: Array<[number, boolean]> = [];
    for (let i = 0; i < 10; i++) lines.push([t0 + i, true]);
    lines.push([t0 + 6 * MINUTE_MS, false]); // the errors' minute leaves the window: 0/1
    lines.push([t0 + 1, true]); // late: older than the window
    const { state, changes } = run(lines);
    expect(changes).toEqual(['exceeded@10:10', 'recovered@1:0']);
    expect(state.late).toBe(1);
    expect(Object.keys(state.minutes)).toEqual([String(t0 + 6 * MINUTE_MS)]);
  });
});
