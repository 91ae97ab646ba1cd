import { signToken } from '@streamfold/auth';
import { DEV_JWT_SECRET } from '@streamfold/runtime';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually } from '../e2e-env';
import { freePort, MAIN, spawnNode, withServerOutput } from '../process';
import { openSse } from './sse';

// `npm start` with nothing configured: no Kafka, no PostgreSQL, no Java. The embedded database
// plays the core database (schema corebank), the polling source replaces Debezium, and the same
// CDC and alert processors run downstream.
describe('MyBank on the embedded default (polling source, no Java)', () => {
  it('an INSERT into the embedded core transactions table reaches its user live, once, above the threshold only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-bank-embedded-'));
    const port = await freePort();
    const app = spawnNode(MAIN, { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', BANK_POLL_INTERVAL_MS: '50' });
    const url = `http://127.0.0.1:${port}`;
    const token = (user: string) => signToken(DEV_JWT_SECRET, user);
    const call = (method: string, path: string, user: string, body?: unknown) =>
      fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token(user)}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const urlFile = join(dataDir, 'corebank-embedded.url');
    let core: Client | null = null;
    try {
      await withServerOutput(app, eventually(async () => (existsSync(urlFile) ? true : undefined), 90_000, 'the embedded app to start'));
      await withServerOutput(app, eventually(async () => ((await fetch(`${url}/health`).catch(() => null))?.ok ? true : undefined), 60_000, 'embedded /health'));
      core = new Client({ connectionString: readFileSync(urlFile, 'utf8').trim() });
      await core.connect();

      expect((await call('PUT', '/bank/thresholds/USD', 'alice', { amount: '1000.00' })).status).toBe(204);
      const invalid = await call('PUT', '/bank/thresholds/USD', 'alice', { amount: '0' });
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({ statusCode: 400, field: 'amount' });
      const live = await openSse(`${url}/bank/alerts/live`, token('alice'));
      const bobLive = await openSse(`${url}/bank/alerts/live`, token('bob'));
      try {
        await live.next((e) => e.event === 'ready');
        await core.query(`INSERT INTO corebank.transactions (account_id, user_id, amount, currency) VALUES (1, 'alice', '999.99', 'USD'), (2, 'bob', '5000.00', 'USD')`);
        const { rows } = await core.query(`INSERT INTO corebank.transactions (account_id, user_id, amount, currency) VALUES (1, 'alice', '1000.01', 'USD') RETURNING id`);
        const alert = await live.next((e) => e.event === 'alert', 60_000);
        expect(alert.data).toMatchObject({ transactionId: String(rows[0].id), amount: '1000.01', threshold: '1000.00', currency: 'USD' });
        const listed = (await (await call('GET', '/bank/alerts', 'alice')).json()) as Array<{ transactionId: string }>;
        expect(listed.map((a) => a.transactionId)).toEqual([String(rows[0].id)]);
        expect(await (await call('GET', '/bank/alerts', 'bob')).json()).toEqual([]);
        expect(bobLive.events.filter((e) => e.event === 'alert')).toEqual([]);
        expect(live.events.filter((e) => e.event === 'alert')).toHaveLength(1);
      } finally {
        await live.close();
        await bobLive.close();
      }
    } finally {
      await core?.end().catch(() => undefined);
      app.child.kill('SIGTERM');
      await app.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
