import { ValidationFailed } from '@streamfold/core';
import type { SimulationProgress, SimulatorDefinition } from '@streamfold/nestjs';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { EMBEDDED_CORE_SCHEMA, EMBEDDED_CORE_URL_FILE } from '../source/polling-source';

/** What a core banking application would write: plain INSERTs, Streamfold nowhere in the path. */
export const INSERT_TRANSACTION = `INSERT INTO transactions (account_id, user_id, amount, currency, status) VALUES ($1, $2, $3, $4, 'posted') RETURNING id`;

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

/** A random amount as a decimal string: mostly small, `largeShare` of them between 1,000 and 20,000. */
export function randomAmount(largeShare: number): string {
  const cents = Math.random() < largeShare ? 100_000 + Math.floor(Math.random() * 1_900_000) : 100 + Math.floor(Math.random() * 49_900);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * The core database: --param core, else CORE_DATABASE_URL, else a running embedded default's
 * (DATA_DIR/corebank-embedded.url), else scripts/corebank-pg.sh's cluster.
 */
function coreDatabase(param: string | undefined): { url: string; table: string } {
  const embedded = join(resolve(process.env.DATA_DIR || '.data'), EMBEDDED_CORE_URL_FILE);
  const given = param ?? process.env.CORE_DATABASE_URL;
  if (given) return { url: given, table: 'transactions' };
  // The embedded default keeps the core tables in their own schema of the embedded database.
  if (existsSync(embedded)) return { url: readFileSync(embedded, 'utf8').trim(), table: `${EMBEDDED_CORE_SCHEMA}.transactions` };
  return { url: 'postgres://postgres@127.0.0.1:55432/corebank', table: 'transactions' };
}

/**
 * `cli simulate bank`: card payments inserted into the core database with plain SQL at a fixed
 * rate (the users `user-0` … `user-<n-1>`, one USD account each). Change data capture (Debezium,
 * or the polling source) turns them into TransactionRecorded; users with a threshold get alerts.
 */
export const coreInsertsSimulator: SimulatorDefinition = {
  description: 'INSERTs card transactions into the core banking database (plain SQL, CORE_DATABASE_URL) at a rate',
  params: {
    core: 'core database URL (default CORE_DATABASE_URL, else a running embedded default\'s, else postgres://postgres@127.0.0.1:55432/corebank)',
    large: 'share of transactions above 1,000.00 (default 0.05)',
  },
  defaults: { rate: 100, durationSeconds: 30, users: 100, concurrency: 8 },

  async run(o): Promise<SimulationProgress> {
    const { url, table } = coreDatabase(o.params.core);
    const insert = INSERT_TRANSACTION.replace('INTO transactions', `INTO ${table}`);
    const large = Number(o.params.large ?? '0.05');
    if (!(large >= 0 && large <= 1)) throw new ValidationFailed('large', 'must be a number between 0 and 1');
    const pool = new Pool({ connectionString: url, max: o.concurrency });
    const latencies: number[] = [];
    const stats = { sent: 0, ok: 0, rejected: 0, failed: 0 };
    const started = Date.now();
    const progress = (): SimulationProgress => {
      const sorted = [...latencies].sort((a, b) => a - b);
      const elapsedSeconds = (Date.now() - started) / 1000;
      return { elapsedSeconds, ...stats, ratePerSecond: stats.sent / Math.max(elapsedSeconds, 0.001), p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    };
    const ticker = setInterval(() => o.onProgress(progress()), 1000);
    let inFlight = 0;
    try {
      await pool.query(`SELECT 1 FROM ${table} LIMIT 0`).catch((error: Error) => {
        throw new ValidationFailed('core', `no core database at ${url} (${error.message}); start it with scripts/corebank-pg.sh start`);
      });
      const one = async () => {
        const u = Math.floor(Math.random() * o.users);
        const t0 = performance.now();
        try {
          await pool.query(insert, [u + 1, `user-${u}`, randomAmount(large), 'USD']);
          stats.ok++;
          latencies.push(performance.now() - t0);
        } catch {
          stats.failed++;
        } finally {
          inFlight--;
        }
      };
      const endAt = started + o.durationSeconds * 1000;
      // Open-loop pacing: the schedule, not the answers, decides when the next insert goes.
      for (let next = Date.now(); next < endAt; next += 1000 / o.rate) {
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (inFlight >= o.concurrency) continue;
        inFlight++;
        stats.sent++;
        void one();
      }
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      return progress();
    } finally {
      clearInterval(ticker);
      await pool.end();
    }
  },
};
