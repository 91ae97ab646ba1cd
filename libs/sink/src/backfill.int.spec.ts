import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toWire } from '@streamfold/core';
import { InMemoryEventStore, RelayRoute, StoredEvent } from '@streamfold/eventstore';
import { EmbeddedMessageLog } from '@streamfold/messaging';
import { backfill } from './backfill';
import { LakeSink } from './lake-sink';
import { queryLake } from './lake-query';

const route: RelayRoute = (e) => (e.type.startsWith('post.') ? { topic: 'likes', key: e.streamId } : null);

describe('backfill from the event store', () => {
  let dir: string;
  let log: EmbeddedMessageLog;
  let store: InMemoryEventStore;
  let events: StoredEvent[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'likes', partitions: 2 }]);
    let t = Date.UTC(2026, 11, 1, 9, 0);
    store = new InMemoryEventStore(undefined, () => new Date((t += 7 * 60_000)));
    for (let i = 0; i < 30; i++) {
      await store.append(`post-${i % 3}`, [{ type: i % 5 === 4 ? 'user.named' : 'post.liked', data: { i } }], { expectedVersion: 'any' });
    }
    events = await store.readAll(null, 100);
    // Retention already dropped the first half: the log holds only what the relay sent after it.
    const kept = events.slice(15).filter((e) => route(e));
    await log.send('likes', kept.map(({ sequence, ...e }) => ({ ...toWire(e, e.streamId, sequence) })));
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills what the log no longer has, once, beside what the sink wrote', async () => {
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20 });
    for (let i = 0; i < 100 && sink.stats().rows < events.slice(15).filter((e) => route(e)).length; i++) await new Promise((r) => setTimeout(r, 20));
    await sink.stop();
    const first = await backfill({ topic: 'likes', log, dir, fromEventStore: { store, route } });
    const again = await backfill({ topic: 'likes', log, dir, fromEventStore: { store, route } });
    const routed = events.filter((e) => route(e));
    expect(first.written).toBeGreaterThan(0);
    expect(again.written).toBe(0);
    const { rows } = await queryLake('SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM likes', { dir });
    expect(rows[0]).toEqual({ n: routed.length, d: routed.length });
  });
});
