import type { Database } from '@streamfold/runtime';

/** The pool or an open transaction: anything that runs a parameterised query. */
type Queryable = Pick<Database, 'query'>;
import { isErrorLevel, MINUTE_MS } from '../domain/error-rate';
import { Buckets, histogramQuantile } from '../domain/histogram';

/** Five minutes of event time: the window of the error ratio and of the percentiles. */
const WINDOW_MS = 5 * MINUTE_MS;

/** A service as `GET /ops/services` and /ops/metrics show it, "now" being its newest minute of event time. */
export interface ServiceOverview {
  service: string;
  /** Newest minute with log lines (ISO), null without any. */
  lastLogMinute: string | null;
  /** Lines per level in that minute. */
  linesLastMinute: Record<string, number>;
  /** Lines per level since the first line (what /ops/metrics exports as counters). */
  linesTotal: Record<string, number>;
  /** Error and fatal lines over all lines, in the five minutes ending at lastLogMinute. */
  errorRatio5m: number | null;
  droppedTotal: number;
  /** Newest minute with requests (ISO), null without any. */
  lastRequestMinute: string | null;
  /** Requests per second over that minute. */
  requestRate: number | null;
  /** Latency percentiles in seconds over the five minutes ending at lastRequestMinute, from merged buckets. */
  latency: { p50: number | null; p90: number | null; p99: number | null };
  /** Every request since the first snapshot, merged over instances (a Prometheus histogram). */
  requestsTotal: { buckets: Buckets; count: number; sum: number };
}

/** Every service that ever logged or served a request, from the ops read models. */
export async function serviceOverview(sql: Queryable): Promise<ServiceOverview[]> {
  const logs = await sql.query(`SELECT service, level, minute, lines FROM ops_log_counts ORDER BY service, minute`);
  const drops = await sql.query(`SELECT service, sum(dropped)::bigint AS n FROM ops_log_drops GROUP BY service`);
  const minutes = await sql.query(`SELECT service, minute, requests, seconds FROM ops_request_minutes ORDER BY service, minute`);
  const buckets = await sql.query(`SELECT service, minute, le, n FROM ops_request_buckets`);
  const services = new Map<string, ServiceOverview>();
  const of = (service: string) => {
    let s = services.get(service);
    if (!s) {
      s = { service, lastLogMinute: null, linesLastMinute: {}, linesTotal: {}, errorRatio5m: null, droppedTotal: 0, lastRequestMinute: null, requestRate: null, latency: { p50: null, p90: null, p99: null }, requestsTotal: { buckets: {}, count: 0, sum: 0 } };
      services.set(service, s);
    }
    return s;
  };
  const lastLog = new Map<string, number>();
  for (const r of logs.rows) lastLog.set(r.service, Math.max(lastLog.get(r.service) ?? 0, new Date(r.minute).getTime()));
  const window = new Map<string, { lines: number; errors: number }>();
  for (const r of logs.rows) {
    const s = of(r.service);
    const minute = new Date(r.minute).getTime();
    const last = lastLog.get(r.service)!;
    const n = Number(r.lines);
    s.linesTotal[r.level] = (s.linesTotal[r.level] ?? 0) + n;
    if (minute === last) s.linesLastMinute[r.level] = (s.linesLastMinute[r.level] ?? 0) + n;
    if (minute > last - WINDOW_MS) {
      const w = window.get(r.service) ?? { lines: 0, errors: 0 };
      w.lines += n;
      if (isErrorLevel(r.level)) w.errors += n;
      window.set(r.service, w);
    }
    s.lastLogMinute = new Date(last).toISOString();
  }
  for (const [service, w] of window) of(service).errorRatio5m = w.lines === 0 ? null : w.errors / w.lines;
  for (const r of drops.rows) of(r.service).droppedTotal = Number(r.n);
  const lastReq = new Map<string, number>();
  for (const r of minutes.rows) {
    const s = of(r.service);
    const minute = new Date(r.minute).getTime();
    s.requestsTotal.count += Number(r.requests);
    s.requestsTotal.sum += Number(r.seconds);
    if (minute >= (lastReq.get(r.service) ?? 0)) {
      lastReq.set(r.service, minute);
      s.lastRequestMinute = new Date(minute).toISOString();
      s.requestRate = Number(r.requests) / 60;
    }
  }
  const recent = new Map<string, Buckets>();
  for (const r of buckets.rows) {
    const s = of(r.service);
    const n = Number(r.n);
    s.requestsTotal.buckets[r.le] = (s.requestsTotal.buckets[r.le] ?? 0) + n;
    if (new Date(r.minute).getTime() > (lastReq.get(r.service) ?? 0) - WINDOW_MS) {
      const b = recent.get(r.service) ?? {};
      b[r.le] = (b[r.le] ?? 0) + n;
      recent.set(r.service, b);
    }
  }
  for (const [service, b] of recent) {
    of(service).latency = { p50: histogramQuantile(0.5, b), p90: histogramQuantile(0.9, b), p99: histogramQuantile(0.99, b) };
  }
  return [...services.values()].sort((a, b) => a.service.localeCompare(b.service));
}
