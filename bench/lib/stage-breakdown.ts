import { request } from './http';

/** Cumulative bucket counts of one histogram series, keyed by upper bound (Infinity last). */
type Buckets = Map<number, number>;

/** `streamfold_stage_latency_seconds` buckets per stage, as scraped from a process's /metrics. */
export type StageSnapshot = Map<string, Buckets>;

/** The stages in path order (libs/eventstore/src/stage-latency.ts). */
export const STAGE_ORDER = ['acknowledged', 'stored_to_relayed', 'relayed_to_delivered', 'delivered_to_committed', 'committed_to_pushed'];

/** A process's `/metrics` text, or '' when it does not answer (a phase then shows no figures). */
export async function scrapeMetrics(url: string): Promise<string> {
  const reply = await request(`${url}/metrics`, 'GET').catch(() => null);
  return reply && reply.status === 200 ? reply.body : '';
}

/** The samples of one metric family: labels and value per line (`name_suffix{labels} value`). */
function samplesOf(text: string, name: string): Array<{ suffix: string; labels: Record<string, string>; value: number }> {
  const line = new RegExp(`^${name}_(\\w+)\\{(.*)\\} (\\S+)$`);
  const out: Array<{ suffix: string; labels: Record<string, string>; value: number }> = [];
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (m) out.push({ suffix: m[1], labels: Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])), value: Number(m[3]) });
  }
  return out;
}

/**
 * The stage histograms in a process's metrics. Consumer stages are kept for `projection` only (the
 * read model the measured path ends in) and stored_to_relayed for `topic` only (the like's;
 * processors' derived events reach the relay another way); other series are left out.
 */
export function parseStages(text: string, projection = 'social.post_counts', topic = 'likes'): StageSnapshot {
  const snapshot: StageSnapshot = new Map();
  for (const { suffix, labels, value } of samplesOf(text, 'streamfold_stage_latency_seconds')) {
    if (suffix !== 'bucket') continue;
    if (labels.projection !== undefined && labels.projection !== projection) continue;
    if (labels.topic !== undefined && labels.topic !== topic) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    if (!snapshot.has(labels.stage)) snapshot.set(labels.stage, new Map());
    snapshot.get(labels.stage)!.set(le, value);
  }
  return snapshot;
}

/** The histograms of several processes as one (bucket counts added). */
export function mergeStages(snapshots: StageSnapshot[]): StageSnapshot {
  const merged: StageSnapshot = new Map();
  for (const snapshot of snapshots) {
    for (const [stage, buckets] of snapshot) {
      const into = merged.get(stage) ?? new Map<number, number>();
      for (const [le, n] of buckets) into.set(le, (into.get(le) ?? 0) + n);
      merged.set(stage, into);
    }
  }
  return merged;
}

/** What one stage took over a run: observations and p50 / p99 in ms, interpolated inside the bucket. */
export interface StageFigure {
  stage: string;
  count: number;
  p50: number;
  p99: number;
}

/** Per stage, the observations between two scrapes (a run's own, whatever ran before). */
export function stageBreakdown(before: StageSnapshot, after: StageSnapshot): StageFigure[] {
  const figures: StageFigure[] = [];
  for (const stage of STAGE_ORDER) {
    const b = before.get(stage) ?? new Map<number, number>();
    const a = after.get(stage);
    if (!a) continue;
    const bounds = [...a.keys()].sort((x, y) => x - y);
    const cumulative = bounds.map((le) => (a.get(le) ?? 0) - (b.get(le) ?? 0));
    const count = cumulative[cumulative.length - 1] ?? 0;
    if (count === 0) continue;
    figures.push({ stage, count, p50: quantile(bounds, cumulative, 0.5), p99: quantile(bounds, cumulative, 0.99) });
  }
  return figures;
}

/** Prometheus' histogram_quantile: linear inside the bucket that holds the rank, in ms. */
function quantile(bounds: number[], cumulative: number[], q: number): number {
  const rank = q * cumulative[cumulative.length - 1];
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1];
    const upper = bounds[i];
    if (!Number.isFinite(upper)) return lower * 1000;
    const below = i === 0 ? 0 : cumulative[i - 1];
    const inBucket = cumulative[i] - below;
    return (lower + (upper - lower) * (inBucket === 0 ? 1 : (rank - below) / inBucket)) * 1000;
  }
  return NaN;
}

export function formatBreakdown(figures: StageFigure[]): string {
  if (figures.length === 0) return 'no stage histograms (streamfold_stage_latency_seconds absent)';
  return figures.map((f) => `${f.stage} p50 ${f.p50.toFixed(1)} / p99 ${f.p99.toFixed(1)} ms (n=${f.count})`).join('; ');
}

/** Garbage collections of a process by kind (prom-client's `nodejs_gc_duration_seconds`): count, total ms, and those over 10 ms and over 100 ms. */
export type GcSnapshot = Map<string, { count: number; ms: number; over10: number; over100: number }>;

export function parseGc(text: string): GcSnapshot {
  const snapshot: GcSnapshot = new Map();
  const upTo: Record<string, Record<string, number>> = {};
  for (const { suffix, labels, value } of samplesOf(text, 'streamfold_nodejs_gc_duration_seconds')) {
    const e = snapshot.get(labels.kind) ?? snapshot.set(labels.kind, { count: 0, ms: 0, over10: 0, over100: 0 }).get(labels.kind)!;
    if (suffix === 'sum') e.ms = value * 1000;
    else if (suffix === 'count') e.count = value;
    else if (suffix === 'bucket') (upTo[labels.kind] ??= {})[labels.le] = value;
  }
  // prom-client's default GC buckets are 0.001, 0.01, 0.1, 1, 2, 5 s (cumulative, le = at most).
  for (const [kind, e] of snapshot) {
    e.over10 = e.count - (upTo[kind]?.['0.01'] ?? e.count);
    e.over100 = e.count - (upTo[kind]?.['0.1'] ?? e.count);
  }
  return snapshot;
}

export function mergeGc(snapshots: GcSnapshot[]): GcSnapshot {
  const merged: GcSnapshot = new Map();
  for (const s of snapshots) {
    for (const [kind, e] of s) {
      const into = merged.get(kind) ?? { count: 0, ms: 0, over10: 0, over100: 0 };
      merged.set(kind, { count: into.count + e.count, ms: into.ms + e.ms, over10: into.over10 + e.over10, over100: into.over100 + e.over100 });
    }
  }
  return merged;
}

/** The collections between two scrapes, e.g. "minor 42 (310 ms, 8 over 10 ms), major 1 (35 ms, 1 over 10 ms)". */
export function formatGc(before: GcSnapshot, after: GcSnapshot): string {
  const parts: string[] = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, ms: 0, over10: 0, over100: 0 };
    const count = a.count - b.count;
    if (count <= 0) continue;
    const over10 = a.over10 - b.over10;
    const over100 = a.over100 - b.over100;
    parts.push(`${kind} ${count} (${Math.round(a.ms - b.ms)} ms${over10 > 0 ? `, ${over10} over 10 ms` : ''}${over100 > 0 ? `, ${over100} over 100 ms` : ''})`);
  }
  return parts.length > 0 ? parts.join(', ') : 'none';
}
