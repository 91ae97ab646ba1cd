import { APP_METRICS_TOPIC } from '@streamfold/eventstore';
import { defineProjection } from '@streamfold/projections';
import { minuteOf } from '../domain/error-rate';
import { HistogramTotals, histogramDelta, histogramOf, mergeHistograms } from '../domain/histogram';
import { MetricsSnapshotTaken } from '../domain/ops.events';

/** The framework's request histogram (libs/nestjs http-metrics), the one every API process exports. */
export const HTTP_HISTOGRAM = 'streamfold_http_request_duration_seconds';

/**
 * Requests per service and minute, with their latency buckets merged across instances. Each
 * instance ships cumulative histograms; the difference from its previous snapshot (kept per
 * instance in ops_metric_instances) is what it served since, credited to the snapshot's minute
 * of event time. Summing those differences bucket by bucket over instances keeps the buckets
 * cumulative in `le`, so percentiles are interpolated from them as Prometheus does.
 * Snapshots of a service share its key, so each instance's snapshots arrive in order.
 */
export const requestMetricsProjection = defineProjection<MetricsSnapshotTaken>({
  name: 'ops.request_metrics',
  topics: [APP_METRICS_TOPIC.name],
  tables: ['ops_metric_instances', 'ops_request_buckets', 'ops_request_minutes'],
  handles: ['streamfold.MetricsSnapshotTaken'],

  async setup({ sql, table }) {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_metric_instances')} (
      service text NOT NULL, instance text NOT NULL, totals jsonb NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (service, instance))`);
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_request_buckets')} (
      service text NOT NULL, minute timestamptz NOT NULL, le text NOT NULL, n bigint NOT NULL, PRIMARY KEY (service, minute, le))`);
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('ops_request_minutes')} (
      service text NOT NULL, minute timestamptz NOT NULL, requests bigint NOT NULL, seconds float8 NOT NULL, PRIMARY KEY (service, minute))`);
  },

  async apply(deliveries, { sql, table }) {
    const instances = table('ops_metric_instances');
    const pairs = [...new Set(deliveries.map((d) => `${d.envelope.data.service}\u0000${d.envelope.data.instance}`))].map((k) => k.split('\u0000'));
    const { rows } = await sql.query(
      `SELECT service, instance, totals FROM ${instances} WHERE (service, instance) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    const last = new Map<string, { totals: HistogramTotals; at: string }>();
    for (const r of rows) last.set(`${r.service}\u0000${r.instance}`, { totals: r.totals, at: '' });
    const perMinute = new Map<string, { service: string; minute: number; parts: HistogramTotals[] }>();
    for (const { envelope } of deliveries) {
      const { service, instance, metrics } = envelope.data;
      const current = histogramOf(metrics, HTTP_HISTOGRAM);
      if (!current) continue;
      const key = `${service}\u0000${instance}`;
      const delta = histogramDelta(last.get(key)?.totals ?? null, current);
      last.set(key, { totals: current, at: envelope.occurredAt });
      if (delta.count === 0) continue;
      const minute = minuteOf(Date.parse(envelope.occurredAt));
      const mk = `${service}\u0000${minute}`;
      const entry = perMinute.get(mk) ?? { service, minute, parts: [] };
      entry.parts.push(delta);
      perMinute.set(mk, entry);
    }
    // Only instances this batch saw move; the pairs come back apart as two arrays (text cannot hold the separator).
    const changed = [...last].filter(([, v]) => v.at !== '').map(([k, v]) => ({ pair: k.split('\u0000'), ...v }));
    if (changed.length > 0) {
      await sql.query(
        `INSERT INTO ${instances} AS i (service, instance, totals, at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])
         ON CONFLICT (service, instance) DO UPDATE SET totals = EXCLUDED.totals, at = EXCLUDED.at`,
        [changed.map((c) => c.pair[0]), changed.map((c) => c.pair[1]), changed.map((c) => JSON.stringify(c.totals)), changed.map((c) => c.at)],
      );
    }
    if (perMinute.size === 0) return;
    const merged = [...perMinute.values()].map((e) => ({ ...e, h: mergeHistograms(e.parts) }));
    const buckets = merged.flatMap((e) => Object.entries(e.h.buckets).map(([le, n]) => ({ service: e.service, minute: e.minute, le, n })));
    await sql.query(
      `INSERT INTO ${table('ops_request_buckets')} AS b (service, minute, le, n)
       SELECT s, to_timestamp(m / 1000.0), le, n FROM unnest($1::text[], $2::float8[], $3::text[], $4::bigint[]) AS u(s, m, le, n)
       ON CONFLICT (service, minute, le) DO UPDATE SET n = b.n + EXCLUDED.n`,
      [buckets.map((b) => b.service), buckets.map((b) => b.minute), buckets.map((b) => b.le), buckets.map((b) => b.n)],
    );
    await sql.query(
      `INSERT INTO ${table('ops_request_minutes')} AS r (service, minute, requests, seconds)
       SELECT s, to_timestamp(m / 1000.0), n, sec FROM unnest($1::text[], $2::float8[], $3::bigint[], $4::float8[]) AS u(s, m, n, sec)
       ON CONFLICT (service, minute) DO UPDATE SET requests = r.requests + EXCLUDED.requests, seconds = r.seconds + EXCLUDED.seconds`,
      [merged.map((e) => e.service), merged.map((e) => e.minute), merged.map((e) => e.h.count), merged.map((e) => e.h.sum)],
    );
  },
});
