import { alertsOf, CdcEnv, setThreshold, startCdc } from './cdc-harness';
import { eventually } from '../e2e-env';
import { openSse } from './sse';

// The real CDC path: psql INSERT → PostgreSQL WAL (pgoutput) → Debezium on Kafka Connect
// (distributed) → raw topic → CDC processor → TransactionRecorded → alert processor (temporal
// join) → user_alerts → alerts read model → the user's SSE stream.
let env: CdcEnv;
beforeAll(async () => {
  env = await startCdc('bankcdc');
}, 600_000);
afterAll(async () => env?.close(), 120_000);


describe('MyBank on Debezium + Kafka Connect', () => {
  it('an INSERT with psql reaches the user\'s live alert stream, and only theirs', async () => {
    expect(await setThreshold(env, 'alice', 'USD', '1000.00')).toBe(204);
    const invalid = await env.app.api.PUT('/bank/thresholds/{currency}', { params: { path: { currency: 'ZZZ' } }, body: { amount: '10' }, ...env.app.as('alice') });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error).toMatchObject({ field: 'currency' });
    const live = await openSse(`${env.app.url}/bank/alerts/live`, env.app.token('alice'));
    const other = await openSse(`${env.app.url}/bank/alerts/live`, env.app.token('mallory'));
    try {
      await live.next((e) => e.event === 'ready');
      await new Promise((r) => setTimeout(r, 50)); // commit time strictly after the threshold's time
      const [id] = env.psqlInsert([{ user: 'alice', amount: '1500.00' }]);
      env.psqlInsert([{ user: 'alice', amount: '999.99' }, { user: 'mallory', amount: '50000.00' }]);
      const alert = await live.next((e) => e.event === 'alert', 90_000);
      expect(alert.data).toMatchObject({ transactionId: String(id), amount: '1500.00', threshold: '1000.00', currency: 'USD' });
      await env.app.settle(60_000);
      expect((await alertsOf(env, 'alice')).map((a) => a.transactionId)).toEqual([String(id)]);
      expect(await alertsOf(env, 'mallory')).toEqual([]);
      expect(other.events.filter((e) => e.event === 'alert')).toEqual([]);
    } finally {
      await live.close();
      await other.close();
    }
  }, 240_000);

  it('never alerts on transactions committed before a lower threshold, however late their changes arrive; later ones alert', async () => {
    await env.connect.pause(env.connector);
    await env.connect.waitFor(env.connector, 'PAUSED');
    const early = env.psqlInsert([{ user: 'carol', amount: '5000.00' }, { user: 'carol', amount: '7500.00' }, { user: 'carol', amount: '250.00' }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await setThreshold(env, 'carol', 'USD', '100.00')).toBe(204);
    await env.app.settle(60_000); // the threshold reached the alert processor before any of them
    await env.connect.resume(env.connector);
    await env.connect.waitFor(env.connector, 'RUNNING');
    await eventually(async () => ((await env.recorded(early)) === 3 ? true : undefined), 120_000, 'the paused transactions to be recorded');
    const [later] = env.psqlInsert([{ user: 'carol', amount: '100.01' }]);
    await eventually(async () => ((await alertsOf(env, 'carol')).length > 0 ? true : undefined), 120_000, 'the later alert');
    await env.app.settle(60_000);
    const alerts = await alertsOf(env, 'carol');
    expect(alerts.map((a) => `${a.transactionId} ${a.amount}>${a.threshold}`)).toEqual([`${later} 100.01>100.00`]);
  }, 300_000);
});
