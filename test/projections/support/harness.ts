import { Kafka, logLevel } from 'kafkajs';
import { KafkaMessageLog } from '@streamfold/messaging';
import { Database, migrateUp } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { createTestDatabase, KAFKA_BROKERS, topicPrefix } from '../../e2e-env';
import type { RunnerLogger } from './lib';

export interface Harness {
  url: string;
  prefix: string;
  db: Database;
  log: KafkaMessageLog;
  /** Runs before the log and database close, even when the test failed half-way (stop runners, producers). */
  onClose(cleanup: () => Promise<unknown> | unknown): void;
  close(): Promise<void>;
}

/** A migrated database of its own and a topic prefix of its own, removed again by close(). */
export async function openHarness(label: string): Promise<Harness> {
  const testDb = await createTestDatabase(`sf_${label}`);
  await migrateUp(testDb.url, MIGRATIONS);
  const db = new Database(testDb.url, 20, false);
  const prefix = topicPrefix(label);
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: label, prefix });
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  return {
    url: testDb.url,
    prefix,
    db,
    log,
    onClose: (cleanup) => void cleanups.push(cleanup),
    close: async () => {
      for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
      await log.close();
      await db.close();
      await deleteTopics(prefix);
      await testDb.drop();
    },
  };
}

async function deleteTopics(prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'cleanup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Keeps runner chatter out of the test output but lets errors through. */
export const quietLogger: RunnerLogger = { log: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`${m}\n`) };

/** Measurements the report quotes: printed without Jest's console decoration. */
export function measured(label: string, values: Record<string, unknown>): void {
  process.stderr.write(`[measured] ${label}: ${JSON.stringify(values)}\n`);
}

/** Rows of a view or table as key → n. */
export async function countsOf(db: Database, relation: string): Promise<Record<string, number>> {
  const rows = await db.query(`SELECT key, n FROM ${relation}`);
  return Object.fromEntries(rows.rows.map((r) => [r.key, Number(r.n)]));
}

/** Event ids applied more than once, and the number of application rows. */
export async function applications(db: Database, relation: string): Promise<{ rows: number; distinct: number; twice: string[] }> {
  const r = await db.query(`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct FROM ${relation}`);
  const twice = await db.query(`SELECT event_id FROM ${relation} GROUP BY event_id HAVING count(*) > 1 LIMIT 10`);
  return { rows: r.rows[0].rows, distinct: r.rows[0].distinct, twice: twice.rows.map((x) => x.event_id) };
}
