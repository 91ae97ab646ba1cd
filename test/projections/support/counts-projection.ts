import type { Delivery, ProjectionDefinition } from './lib';

export const COUNTED = 'test.Counted';
export const IGNORED = 'test.Ignored';

export interface CountsProjectionOptions {
  /** @default 'test.counts' */
  name?: string;
  topics: string[];
  /** Written into applied.instance, to see which runner applied what. @default 'main' */
  instance?: string;
  /** Sleep inside the transaction, so a kill lands mid-batch. */
  delayMs?: () => number;
  /** Throw for such a delivery (a poison event while the bug is there). */
  failWhen?: (delivery: Delivery) => boolean;
  /** Counts apply calls that contained each event id. */
  calls?: Map<string, number>;
  /** Prefix of the table names, for a second projection in the same database. @default '' */
  tablePrefix?: string;
  /** What an event counts for (a field of its payload, to see upcasters at work). @default its stream id */
  keyOf?: (delivery: Delivery) => string;
}

/**
 * The test read model: `counts` (key, n) folds test.Counted events per stream; `applied` logs every
 * application, with no unique constraint, so an event applied twice shows up as two rows, and the
 * transaction that applied it (`tx`).
 */
export function countsProjection(options: CountsProjectionOptions): ProjectionDefinition {
  const instance = options.instance ?? 'main';
  const p = options.tablePrefix ?? '';
  const counts = `${p}counts`;
  const applied = `${p}applied`;
  const keyOf = options.keyOf ?? ((d: Delivery) => d.envelope.streamId);
  return {
    name: options.name ?? 'test.counts',
    kind: 'projection',
    topics: options.topics,
    tables: [counts, applied],
    handles: [COUNTED],
    async setup({ sql, table }) {
      await sql.query(`CREATE TABLE IF NOT EXISTS ${table(counts)} (key text PRIMARY KEY, n bigint NOT NULL)`);
      await sql.query(`CREATE TABLE IF NOT EXISTS ${table(applied)} (
        event_id text NOT NULL, key text NOT NULL, topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL,
        instance text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        tx xid8 NOT NULL DEFAULT pg_current_xact_id())`);
    },
    async apply(deliveries, { sql, table }) {
      for (const d of deliveries) options.calls?.set(d.envelope.eventId, (options.calls.get(d.envelope.eventId) ?? 0) + 1);
      const bad = options.failWhen && deliveries.find(options.failWhen);
      if (bad) throw new Error(`cannot count event ${bad.envelope.eventId}`);
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await sql.query(
        `INSERT INTO ${table(applied)} (event_id, key, topic, partition, "offset", instance)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])`,
        [
          deliveries.map((d) => d.envelope.eventId),
          deliveries.map(keyOf),
          deliveries.map((d) => d.topic),
          deliveries.map((d) => d.partition),
          deliveries.map((d) => d.offset),
          deliveries.map(() => instance),
        ],
      );
      await sql.query(
        `INSERT INTO ${table(counts)} (key, n) SELECT key, count(*) FROM unnest($1::text[]) AS key GROUP BY key
         ON CONFLICT (key) DO UPDATE SET n = ${table(counts)}.n + EXCLUDED.n`,
        [deliveries.map(keyOf)],
      );
    },
  };
}
