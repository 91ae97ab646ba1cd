import { EventRegistry } from '@streamfold/core';
import { PostgresEventStore, PostgresRelayLeases, Relay } from '@streamfold/eventstore';
import { eventually } from '../e2e-env';
import { COUNTED, countsProjection } from './support/counts-projection';
import { applications, countsOf, Harness, measured, openHarness, quietLogger } from './support/harness';
import { ProjectionRunner, projectionStatus, rebuildProjection } from './support/lib';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME = 'test.comment_counts';
const TOPIC = 'comments';

/** Schema 1 wrote `{ group }`; schema 2 calls it `{ bucket }`: old events only fold right when upcast. */
const registryV1 = () => new EventRegistry().register({ type: COUNTED });
const registryV2 = () =>
  new EventRegistry().register({ type: COUNTED, schemaVersion: 2, upcasters: { 1: (data: { group: string }) => ({ bucket: data.group }) } });
/** Counts per bucket: a payload field, so a store read that skipped upcasters would count nothing right. */
const definition = (instance = 'main') =>
  countsProjection({ name: NAME, topics: [TOPIC], tablePrefix: 'comment_', instance, keyOf: (d) => (d.envelope.data as { bucket: string }).bucket });

// invariant 5 of docs/architecture.md when Kafka no longer holds the whole log: the rebuild folds the real
// PostgreSQL event store (through the event registry, so old schema versions are upcast), then
// the rest from Kafka, where sf-seq drops what the store phase already gave.
describe('rebuilding a projection from the event store', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('rebuild_store')));
  afterAll(async () => h.close());

  it('when Kafka retention dropped the start of the log: upcasts old events and equals the fold of every event', async () => {
    await h.log.ensureTopics([{ name: TOPIC, partitions: 4 }]);
    const oldWriter = new PostgresEventStore(h.db, registryV1());
    const store = new PostgresEventStore(h.db, registryV2());
    const expected: Record<string, number> = {};
    let written = 0;
    /** Appends `n` events to one stream, each counted in `expected` (the from-scratch fold). */
    const write = async (writer: 'v1' | 'v2', stream: number, n: number) => {
      const buckets = Array.from({ length: n }, (_, j) => `b-${(stream + j) % 7}`);
      for (const b of buckets) expected[b] = (expected[b] ?? 0) + 1;
      written += n;
      const data = (b: string) => (writer === 'v1' ? { group: b } : { bucket: b });
      await (writer === 'v1' ? oldWriter : store).append(`c-${stream % 30}`, buckets.map((b) => ({ type: COUNTED, data: data(b) })), { expectedVersion: 'any' });
    };

    const relay = new Relay({
      name: 'rebuild-test',
      store,
      log: h.log,
      route: (e) => ({ topic: TOPIC, key: e.streamId }),
      leases: new PostgresRelayLeases(h.db, { standbyPollMs: 25 }),
      pollIntervalMs: 20,
      logger: (level, message) => level === 'error' && process.stderr.write(`[relay] ${message}\n`),
    });
    h.onClose(() => relay.stop());
    relay.start();
    const live = new ProjectionRunner(h.db, h.log, definition(), { logger: quietLogger, followIntervalMs: 500 });
    h.onClose(() => live.stop());
    await live.start();
    for (let i = 0; i < 80; i++) await write('v1', i, 10);
    for (let i = 0; i < 20; i++) await write('v2', i, 10);
    await relay.waitUntilIdle(30000);
    await live.waitUntilCaughtUp(30000);
    expect(await countsOf(h.db, 'comment_counts')).toEqual(expected);

    // Retention: drop the first 60% of every partition.
    const admin = h.log.client.admin();
    await admin.connect();
    const offsets = await h.log.offsets(TOPIC);
    await admin.fetchTopicMetadata({ topics: [h.log.physicalName(TOPIC)] });
    await admin.deleteTopicRecords({
      topic: h.log.physicalName(TOPIC),
      partitions: offsets.map((p) => ({ partition: p.partition, offset: String(Math.floor(p.high * 0.6)) })),
    });
    await admin.disconnect();
    expect((await h.log.offsets(TOPIC)).every((p) => p.low > 0)).toBe(true);
    // More events after the truncation, some still flowing during the rebuild.
    for (let i = 0; i < 10; i++) await write('v2', i, 10);

    const fromKafka = rebuildProjection({ db: h.db, log: h.log, definition: definition('rebuild'), from: 'kafka', logger: quietLogger });
    await expect(fromKafka).rejects.toThrow(/retention dropped the start of the log; rebuild test.comment_counts from the event store/);

    const flowing = (async () => {
      for (let i = 0; i < 10; i++) {
        await write(i % 2 ? 'v1' : 'v2', i, 20);
        await pause(50);
      }
    })();
    const result = await rebuildProjection({
      db: h.db,
      log: h.log,
      definition: definition('rebuild'),
      from: 'event-store',
      readAll: (after, limit) => store.readAll(after, limit),
      storeBatchSize: 250,
      graceMs: 1500,
      timeoutMs: 60000,
      logger: quietLogger,
    });
    await flowing;
    // The refused Kafka attempt created no version.
    expect(result).toMatchObject({ version: 2, previousVersion: 1 });
    // Reading the store is a phase of its own, and the phases add up to the whole.
    expect(result.phases.storeMs).toBeGreaterThan(0);
    expect(Object.values(result.phases).reduce((a, b) => a + b, 0)).toBe(result.durationMs);
    await eventually(async () => (live.version === 2 ? true : undefined), 10000, 'live runner on v2');
    await relay.waitUntilIdle(30000);
    await live.waitUntilCaughtUp(30000);
    expect(await countsOf(h.db, 'comment_counts')).toEqual(expected);
    expect(await applications(h.db, 'comment_applied_v2')).toEqual({ rows: written, distinct: written, twice: [] });
    const fromStore = await h.db.query(`SELECT count(*)::int AS n FROM comment_applied_v2 WHERE "offset" = -1`);
    const schema1 = await h.db.query(`SELECT count(*)::int AS n FROM sf_events WHERE schema_version = 1`);
    expect(fromStore.rows[0].n).toBeGreaterThan(0);
    expect(schema1.rows[0].n).toBeGreaterThan(0);
    const [status] = await projectionStatus(h.db, h.log, [NAME]);
    expect(status.versions.map((v) => [v.version, v.status])).toEqual([[1, 'retired'], [2, 'live']]);
    await live.stop();
    measured('rebuild-from-event-store', { events: written, storedAtSchema1: schema1.rows[0].n, appliedFromStore: fromStore.rows[0].n, rebuildMs: result.durationMs, phases: result.phases, processed: result.processed });
  });
});
