import { PostgresEventStore } from '@streamfold/eventstore';
import { Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import { LiveAlertsService } from '../../apps/bank/src/http/live-alerts.service';
import { startTestApp, TestApp } from '../app-harness';
import { eventually } from '../e2e-env';
import { gql, subscription, wsClient } from './graphql-client';

/**
 * GraphQL of MyBank, GetTaxi and MovieFlix (issue 16) on real Kafka and PostgreSQL, one host for
 * all three: each context's resolvers come from its own module. MyBank's transactions come from
 * the embedded polling source reading `corebank.transactions` in the test's database (no Kafka
 * Connect), through the same CDC and alert processors as Debezium's.
 */
describe('GraphQL of the other contexts on real Kafka and PostgreSQL', () => {
  let app: TestApp;
  let core: PgClient;
  const clients: Client[] = [];
  beforeAll(async () => {
    process.env.BANK_CDC_SOURCE = 'polling';
    process.env.BANK_POLL_INTERVAL_MS = '50';
    app = await startTestApp('gqlctx');
    core = new PgClient({ connectionString: app.db.url });
    await core.connect();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await core?.end();
    await app?.close();
    delete process.env.BANK_CDC_SOURCE;
    delete process.env.BANK_POLL_INTERVAL_MS;
  });
  const client = (token?: string) => {
    const c = wsClient(app.url, token);
    clients.push(c);
    return c;
  };
  const as = (user: string) => app.token(user);

  describe('MyBank', () => {
    it('enables a threshold by mutation; a larger transaction reaches its user’s alertRaised subscription and myAlerts', async () => {
      const enabled = await gql(app.url, 'mutation { enableThreshold(currency: "USD", amount: "1000") }', {}, as('gq-alice'));
      expect(enabled).toEqual({ data: { enableThreshold: true } });
      // The same amount again: idempotent by state, as PUT /bank/thresholds/USD.
      expect(await gql(app.url, 'mutation { setThreshold(currency: "USD", amount: "1000.00") }', {}, as('gq-alice'))).toEqual({ data: { setThreshold: true } });
      expect((await gql(app.url, '{ myThresholds { currency amount } }', {}, as('gq-alice'))).data).toEqual({ myThresholds: [{ currency: 'USD', amount: '1000.00' }] });
      await app.settle();

      const live = subscription<{ alertRaised: Record<string, string> }>(client(as('gq-alice')), 'subscription { alertRaised { transactionId amount currency threshold } }');
      const alerts = app.server.app.get(LiveAlertsService);
      await eventually(async () => ((await alerts.listening('gq-alice')) ? true : undefined), 10_000, 'the subscription to listen');
      await core.query(`INSERT INTO corebank.transactions (account_id, user_id, amount, currency) VALUES (1, 'gq-alice', '999.99', 'USD'), (2, 'gq-bob', '5000.00', 'USD')`);
      const { rows } = await core.query(`INSERT INTO corebank.transactions (account_id, user_id, amount, currency) VALUES (1, 'gq-alice', '1500.00', 'USD') RETURNING id`);

      const alert = await live.until(() => true, 60_000);
      expect(alert.alertRaised).toEqual({ transactionId: String(rows[0].id), amount: '1500.00', currency: 'USD', threshold: '1000.00' });
      await live.close();
      const listed = await gql(app.url, '{ myAlerts(limit: 10) { transactionId amount } }', {}, as('gq-alice'));
      expect(listed.data.myAlerts).toEqual([{ transactionId: String(rows[0].id), amount: '1500.00' }]);
      expect((await gql(app.url, '{ myAlerts { alertId } }', {}, as('gq-bob'))).data).toEqual({ myAlerts: [] });
    });

    it('refuses a subscription to another user’s alerts, and a bad threshold naming the field, storing nothing', async () => {
      const theirs = subscription(client(as('gq-mallory')), 'subscription { alertRaised(userId: "gq-alice") { alertId amount } }');
      const refused = await theirs.next();
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors).toEqual([expect.objectContaining({ message: 'alerts of gq-alice belong to that user only', extensions: { code: 'forbidden', status: 403 } })]);

      const store = app.server.app.get(PostgresEventStore);
      await app.settle();
      const before = await store.lastCommitted();
      const negative = await gql(app.url, 'mutation { setThreshold(currency: "EUR", amount: "-5") }', {}, as('gq-mallory'));
      expect(negative.data).toBeNull();
      expect(negative.errors).toEqual([expect.objectContaining({ message: 'amount: must be positive, got -5', extensions: { code: 'validation_failed', status: 400, field: 'amount' } })]);
      const unknown = await gql(app.url, 'mutation { enableThreshold(currency: "XYZ", amount: "10") }', {}, as('gq-mallory'));
      expect(unknown.errors?.[0].extensions).toEqual({ code: 'validation_failed', status: 400, field: 'currency' });
      const tooLong = await gql(app.url, 'mutation($c: String!) { disableThreshold(currency: $c) }', { c: 'USDUSDUSD' }, as('gq-mallory'));
      expect(tooLong.errors?.[0].extensions).toMatchObject({ code: 'validation_failed', field: 'currency' });
      const none = await gql(app.url, 'mutation { disableThreshold(currency: "GBP") }', {}, as('gq-mallory'));
      expect(none.errors?.[0].extensions).toMatchObject({ code: 'not_found', status: 404 });
      const anonymous = await gql(app.url, '{ myAlerts { alertId } }');
      expect(anonymous.errors?.[0].extensions).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(await store.lastCommitted()).toEqual(before);
    });
  });
});
