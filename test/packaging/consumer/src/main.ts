import 'reflect-metadata';
import { RuleViolated, toWire } from '@streamfold/core';
import { EmbeddedMessageLog } from '@streamfold/messaging';
import { startServer } from '@streamfold/nestjs';
import { ProjectionRunner } from '@streamfold/projections';
import { Database, EmbeddedPostgres, FRAMEWORK_MIGRATIONS, loadConfig, migrateUp } from '@streamfold/runtime';
import { deciderSpec } from '@streamfold/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterDecider, totalsProjection } from './counter';
import { AppModule } from './counter.module';

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`FAILED: ${what} (timed out)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deciderKit(): Promise<void> {
  const spec = deciderSpec(counterDecider);
  spec.given([{ type: 'demo.Incremented', data: { counterId: 'c', by: 2 } }]).when({ type: 'Reset', counterId: 'c' }).then([{ type: 'demo.Reset', data: { counterId: 'c' } }]);
  spec.when({ type: 'Increment', counterId: 'c', by: 0 }).thenThrows(RuleViolated);
  check(true, 'decider given/when/then with the testing kit');
}

async function projectionOnEmbeddedLog(dir: string): Promise<void> {
  const pg = await EmbeddedPostgres.start(join(dir, 'pg'));
  const db = new Database(pg.url, 4, true);
  const log = new EmbeddedMessageLog();
  try {
    await migrateUp(db.url, FRAMEWORK_MIGRATIONS);
    await log.ensureTopics([{ name: 'counters', partitions: 2 }]);
    const runner = new ProjectionRunner(db, log, totalsProjection, { logger: { log: () => {}, warn: console.warn, error: console.error } });
    await runner.start();
    const at = new Date().toISOString();
    const events = [1, 2, 3].map((by, i) => ({ eventId: `e${i}`, type: 'demo.Incremented', schemaVersion: 1, streamId: 'counter-x', streamPosition: i + 1, globalPosition: String(i + 1), occurredAt: at, recordedAt: at, correlationId: null, causationId: null, actor: null, data: { counterId: 'x', by } }));
    await log.send('counters', events.map((e, i) => toWire(e, 'x', { txId: '1', position: String(i + 1) })));
    // The same events again (a relay re-send): applied once.
    await log.send('counters', events.map((e, i) => toWire(e, 'x', { txId: '1', position: String(i + 1) })));
    await runner.waitUntilCaughtUp(30_000);
    const { rows } = await db.query('SELECT total FROM demo_totals WHERE counter_id = $1', ['x']);
    await runner.stop();
    check(rows[0]?.total === 6, `projection on the embedded log applies each event once (total ${rows[0]?.total})`);
  } finally {
    await log.close();
    await db.close();
    await pg.stop();
  }
}

async function nestModuleOnEmbeddedDefault(dir: string): Promise<void> {
  const server = await startServer(AppModule, { config: loadConfig({ DATA_DIR: join(dir, 'app'), PORT: '0', LOG_LEVEL: 'silent' }), logger: false });
  try {
    const res = await fetch(`${server.url}/counters/k/increment`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 5 }) });
    check(res.status === 201, `a command through the booted Nest module (HTTP ${res.status})`);
    const total = await eventually(async () => {
      const body = (await (await fetch(`${server.url}/counters/k`)).json()) as { total: number };
      return body.total === 5 ? body.total : undefined;
    }, 'the read model shows the increment');
    check(total === 5, 'relay, embedded log and projection carried it to the read model');
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-consumer-'));
  await deciderKit();
  await projectionOnEmbeddedLog(dir);
  await nestModuleOnEmbeddedDefault(dir);
  console.log('ALL OK');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
