import { QueryBus } from '@nestjs/cqrs';
import { PostgresEventStore } from '@streamfold/eventstore';
import { Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import { LiveAlertsService } from '../../apps/bank/src/http/live-alerts.service';
import { GetResumes } from '../../apps/movieflix/src/application/movieflix.queries';
import { surgeRegion } from '../../apps/taxi/src/domain/geo';
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

  describe('GetTaxi', () => {
    const pickup = { lat: 48.8566, lng: 2.3522 };
    const dropoff = { lat: 48.8738, lng: 2.295 };
    const REQUEST = 'mutation($p: LatLngInput!, $d: LatLngInput!, $k: String) { requestRide(pickup: $p, dropoff: $d, idempotencyKey: $k) { rideId surgeTenths estimateMinor match { status } } }';

    it('a requestRide mutation raises the live surge of its region; the rider follows the ride to its cancellation, nobody else may', async () => {
      const surge = subscription<{ surge: { region: string; surge: number } }>(client(as('gq-watcher')), 'subscription($lat: Float!, $lng: Float!) { surge(lat: $lat, lng: $lng) { region surge } }', pickup);
      expect((await surge.until(() => true)).surge).toEqual({ region: surgeRegion(pickup), surge: 1 });

      const requested = await gql(app.url, REQUEST, { p: pickup, d: dropoff, k: 'gq-ride-1' }, as('gq-rider'));
      expect(requested.errors).toBeUndefined();
      const { rideId } = requested.data.requestRide;
      // No driver in this city: matching goes on. The same key again is the same ride.
      expect(requested.data.requestRide).toMatchObject({ surgeTenths: 10, match: { status: 'requested' } });
      expect((await gql(app.url, REQUEST, { p: pickup, d: dropoff, k: 'gq-ride-1' }, as('gq-rider'))).data.requestRide.rideId).toBe(rideId);
      // One request and no supply: (1 + 1) / (0 + 1) = ×2.0 in the pickup's region.
      expect((await surge.until((d) => d.surge.surge > 1, 60_000)).surge).toEqual({ region: surgeRegion(pickup), surge: 2 });
      await surge.close();

      await app.settle();
      const cells = await gql(app.url, '{ surgeCells(limit: 20) { region surge boundary } }');
      const home = cells.data.surgeCells.find((c: { region: string }) => c.region === surgeRegion(pickup));
      expect(home.surge).toBe(2);
      expect(home.boundary).toHaveLength(6);
      expect(cells.data.surgeCells).toHaveLength(7); // the region and its six smoothed neighbours

      const stranger = subscription(client(as('gq-stranger')), 'subscription($id: ID!) { rideStatus(rideId: $id) { status } }', { id: rideId });
      expect((await stranger.next()).errors?.[0].extensions).toMatchObject({ code: 'forbidden', status: 403 });
      expect((await gql(app.url, 'query($id: ID!) { ride(rideId: $id) { status } }', { id: rideId }, as('gq-stranger'))).errors?.[0].extensions).toMatchObject({ code: 'forbidden' });

      const ride = subscription<{ rideStatus: { rideId: string; status: string } }>(client(as('gq-rider')), 'subscription($id: ID!) { rideStatus(rideId: $id) { rideId status } }', { id: rideId });
      expect((await ride.until(() => true)).rideStatus).toEqual({ rideId, status: 'requested' });
      expect(await gql(app.url, 'mutation($id: ID!) { cancelRide(rideId: $id) }', { id: rideId }, as('gq-rider'))).toEqual({ data: { cancelRide: true } });
      expect((await ride.until((d) => d.rideStatus.status !== 'requested', 30_000)).rideStatus).toEqual({ rideId, status: 'cancelled' });
      expect((await gql(app.url, '{ myRides { rideId status } }', {}, as('gq-rider'))).data.myRides).toEqual([{ rideId, status: 'cancelled' }]);
    });

    it('refuses bad input naming the field and stores nothing', async () => {
      const store = app.server.app.get(PostgresEventStore);
      await app.settle();
      const before = await store.lastCommitted();
      const offMap = await gql(app.url, REQUEST, { p: { lat: 123, lng: 2 }, d: dropoff }, as('gq-rider'));
      expect(offMap.errors?.[0].extensions).toEqual({ code: 'validation_failed', status: 400, field: 'pickup.lat' });
      const badId = await gql(app.url, 'mutation { startRide(rideId: "nope") }', {}, as('gq-driver'));
      expect(badId.errors?.[0]).toMatchObject({ message: 'rideId must be a UUID', extensions: { code: 'validation_failed', field: 'rideId' } });
      expect(await store.lastCommitted()).toEqual(before);
    });
  });

  describe('MovieFlix', () => {
    const play = async (user: string, videoId: string, stopAt: number) => {
      const started = await gql(app.url, 'mutation($v: ID!) { startPlayback(videoId: $v, device: "tv", positionSec: 0, durationSec: 100) }', { v: videoId }, as(user));
      expect(started).toEqual({ data: { startPlayback: true } });
      expect(await gql(app.url, 'mutation($v: ID!, $at: Float!) { stopPlayback(videoId: $v, positionSec: $at) }', { v: videoId, at: stopAt }, as(user))).toEqual({ data: { stopPlayback: true } });
    };

    it('a finished playback (mutations) pushes new recommendations to the viewer’s subscription; resume points load in one batch', async () => {
      // Others' history gives co-watch evidence: who watched Toy Story (1) watched Toy Story 2 (3114) and Jumanji (2).
      for (const user of ['gq-eve', 'gq-finn']) for (const v of ['1', '3114', '2']) await play(user, v, 98);
      await app.settle();
      await app.settle(); // the recommender's output is itself relayed
      const recs = subscription<{ recommendations: { source: string; items: Array<{ videoId: string }> } }>(client(as('gq-viewer')), 'subscription { recommendations { source items { videoId } } }');
      expect((await recs.until(() => true)).recommendations.source).toBe('popular'); // the current view first (cold start)

      await play('gq-viewer', '1', 95);
      const pushed = (await recs.until((d) => d.recommendations.source === 'model', 60_000)).recommendations;
      expect(pushed.items.map((i) => i.videoId).slice(0, 2).sort()).toEqual(['2', '3114']);
      await recs.close();

      const watched = pushed.items[0].videoId;
      const heartbeat = { videoId: watched, positionSec: 600, durationSec: 5400, device: 'tv', occurredAt: new Date().toISOString() };
      expect((await app.request('POST', '/movieflix/users/me/heartbeats', { user: 'gq-viewer', body: { heartbeats: [heartbeat] } })).status).toBe(202);
      await app.settle();
      const bus = app.server.app.get(QueryBus, { strict: false });
      const spy = jest.spyOn(bus, 'execute');
      const { data, errors } = await gql(app.url, '{ recommendations { items { videoId resume { positionSec } } } profile { finished completionRate } }', {}, as('gq-viewer'));
      expect(errors).toBeUndefined();
      expect(spy.mock.calls.filter(([q]) => q instanceof GetResumes)).toHaveLength(1);
      spy.mockRestore();
      expect(data.recommendations.items[0]).toEqual({ videoId: watched, resume: { positionSec: 600 } });
      expect(data.recommendations.items.slice(1).every((i: { resume: unknown }) => i.resume === null)).toBe(true);
      expect(data.profile).toEqual({ finished: 1, completionRate: 1 });
    });

    it('refuses another user’s recommendations and a malformed or unknown video naming videoId', async () => {
      const theirs = subscription(client(as('gq-snoop')), 'subscription { recommendations(userId: "gq-viewer") { source } }');
      expect((await theirs.next()).errors?.[0]).toMatchObject({ message: 'recommendations of gq-viewer belong to that user only', extensions: { code: 'forbidden', status: 403 } });
      const store = app.server.app.get(PostgresEventStore);
      await app.settle();
      const before = await store.lastCommitted();
      const malformed = await gql(app.url, 'mutation { startPlayback(videoId: "abc", device: "tv", positionSec: 0, durationSec: 100) }', {}, as('gq-snoop'));
      expect(malformed.errors?.[0]).toMatchObject({ message: 'videoId must be a catalogue id (an integer)', extensions: { code: 'validation_failed', status: 400, field: 'videoId' } });
      const unknown = await gql(app.url, 'mutation { rateVideo(videoId: "999999999", rating: 4) }', {}, as('gq-snoop'));
      expect(unknown.errors?.[0].extensions).toMatchObject({ status: 400, field: 'videoId' });
      expect(await store.lastCommitted()).toEqual(before);
    });
  });
});
