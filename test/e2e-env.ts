import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Real infrastructure for *.e2e.spec.ts. Every test file gets its own database and topic prefix,
 * so runs (and parallel files) never see each other's data.
 *   KAFKA_BROKERS            default localhost:9092 (scripts/test.sh starts it)
 *   TEST_DATABASE_ADMIN_URL  default postgres://postgres@127.0.0.1:5432/postgres
 */
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS || 'localhost:9092').split(',');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueName(label: string): string {
  return `${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function topicPrefix(label = 't'): string {
  return `${uniqueName(label)}.`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label = 'sf_test'): Promise<TestDatabase> {
  const name = uniqueName(label).toLowerCase();
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls until check() returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
