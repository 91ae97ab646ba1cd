import { ConcurrencyConflict, EventRegistry, IdempotencyKeyReused, InvalidEventPayload, LogSequence, UnknownEventType } from '@streamfold/core';
import { InMemoryEventStore } from './memory-event-store';

const at = new Date('2025-11-25T12:00:00.000Z');
const ev = (n: number) => ({ type: 'test.Counted', data: { n } });

describe('InMemoryEventStore', () => {
  it('appends with stream and global positions, metadata and one sequence txId per append', async () => {
    const store = new InMemoryEventStore(undefined, () => at);
    const first = await store.append('a', [ev(1), ev(2)], { expectedVersion: 'no_stream', metadata: { actor: 'u1', correlationId: 'c1' } });
    const second = await store.append('b', [ev(3)], { expectedVersion: 0, metadata: { occurredAt: new Date('2025-01-01T00:00:00Z') } });
    expect(first).toMatchObject({ streamId: 'a', nextVersion: 2, duplicate: false });
    expect(first.envelopes.map((e) => [e.streamPosition, e.globalPosition, e.actor, e.correlationId, e.causationId])).toEqual([
      [1, '1', 'u1', 'c1', null],
      [2, '2', 'u1', 'c1', null],
    ]);
    expect(first.envelopes[0]).toMatchObject({ type: 'test.Counted', schemaVersion: 1, occurredAt: at.toISOString(), recordedAt: at.toISOString() });
    expect(second.envelopes[0]).toMatchObject({ streamPosition: 1, globalPosition: '3', occurredAt: '2025-01-01T00:00:00.000Z' });

    const all = await store.readAll(null, 10);
    expect(all.map((e) => e.sequence)).toEqual([
      { txId: '1', position: '1' },
      { txId: '1', position: '2' },
      { txId: '2', position: '3' },
    ]);
    expect(await store.head()).toEqual({ txId: '2', position: '3' });
    expect(await store.readStream('a')).toEqual({ version: 2, events: first.envelopes });
    expect(await store.readStream('nope')).toEqual({ version: 0, events: [] });
  });

  it('enforces the expected version and writes nothing on a conflict', async () => {
    const store = new InMemoryEventStore();
    await store.append('s', [ev(1)], { expectedVersion: 'no_stream' });
    await expect(store.append('s', [ev(2), ev(3)], { expectedVersion: 'no_stream' })).rejects.toThrow(
      new ConcurrencyConflict('s', 'no stream', 1),
    );
    const stale = store.append('s', [ev(2)], { expectedVersion: 0 });
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflict);
    await expect(stale).rejects.toThrow('stream s is at version 1, expected 0; reload and retry');
    await expect(store.append('s', [ev(2)], { expectedVersion: 5 })).rejects.toMatchObject({ streamId: 's', expected: 5, actual: 1, status: 409 });
    expect((await store.readStream('s')).version).toBe(1);
    expect(await store.readAll(null, 100)).toHaveLength(1);

    expect((await store.append('s', [ev(2)], { expectedVersion: 1 })).nextVersion).toBe(2);
    expect((await store.append('s', [ev(3)], { expectedVersion: 'any' })).nextVersion).toBe(3);
    expect((await store.append('new', [ev(1)], { expectedVersion: 'any' })).nextVersion).toBe(1);
    await expect(store.append('s', [ev(9)], { expectedVersion: -1 })).rejects.toThrow(RangeError);
  });

  it('an empty append writes nothing but still checks the version', async () => {
    const store = new InMemoryEventStore();
    expect(await store.append('e', [], { expectedVersion: 'no_stream' })).toMatchObject({ nextVersion: 0, envelopes: [] });
    await store.append('e', [ev(1)], { expectedVersion: 0 });
    await expect(store.append('e', [], { expectedVersion: 0 })).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(await store.head()).toEqual({ txId: '1', position: '1' });
  });

  it('returns the stored result for a repeated command id and appends nothing', async () => {
    const store = new InMemoryEventStore();
    const first = await store.append('p', [ev(1), ev(2)], { expectedVersion: 'no_stream', commandId: 'cmd-1', commandResult: { postId: 'p' } });
    const again = await store.append('p', [ev(7)], { expectedVersion: 'no_stream', commandId: 'cmd-1', commandResult: { postId: 'other' } });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.lookupCommand('cmd-1')).toEqual({ ...first, duplicate: true });
    expect(await store.lookupCommand('cmd-2')).toBeNull();
    expect((await store.readStream('p')).version).toBe(2);

    const concurrent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.append('q', [ev(i)], { expectedVersion: 'any', commandId: 'cmd-q', commandResult: i })),
    );
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(concurrent.map((r) => r.commandResult))).toEqual(new Set([0]));
    expect((await store.readStream('q')).version).toBe(1);
  });

  it('refuses a repeated command id with another input fingerprint and appends nothing', async () => {
    const store = new InMemoryEventStore();
    const first = await store.append('p', [ev(1)], { expectedVersion: 'any', commandId: 'cmd-1', commandResult: 'p', commandFingerprint: 'f1' });
    expect(await store.append('p', [ev(2)], { expectedVersion: 'any', commandId: 'cmd-1', commandFingerprint: 'f1' })).toEqual({ ...first, duplicate: true });
    await expect(store.append('p', [ev(3)], { expectedVersion: 'any', commandId: 'cmd-1', commandFingerprint: 'f2' })).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(store.lookupCommand('cmd-1', 'f2')).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    // Without a fingerprint on either side the id alone decides, as before fingerprints existed.
    expect(await store.lookupCommand('cmd-1')).toEqual({ ...first, duplicate: true });
    expect((await store.readStream('p')).version).toBe(1);
  });

  it('validates payloads against the registry before writing and upcasts on read', async () => {
    const registry = new EventRegistry().register(
      { type: 'test.Counted', validate: (d: any) => (typeof d?.n === 'number' ? [] : ['n must be a number']) },
      { type: 'test.Renamed', schemaVersion: 2, upcasters: { 1: (d: any) => ({ name: d.title, by: 'upcast' }) } },
    );
    const store = new InMemoryEventStore(registry);
    await expect(store.append('r', [ev(1), { type: 'test.Counted', data: { n: 'x' } }], { expectedVersion: 'any' })).rejects.toThrow(InvalidEventPayload);
    await expect(store.append('r', [{ type: 'test.Unknown', data: {} }], { expectedVersion: 'any' })).rejects.toThrow(UnknownEventType);
    expect(await store.readAll(null, 10)).toEqual([]);

    const appended = await store.append('r', [{ type: 'test.Renamed', data: { name: 'x' } }], { expectedVersion: 'any' });
    expect(appended.envelopes[0].schemaVersion).toBe(2);
    // A version-1 event written before the schema changed is upcast when read: the same stored
    // state seen through the new registry (the PostgreSQL e2e test does this with two stores).
    const old = new InMemoryEventStore(new EventRegistry().register({ type: 'test.Renamed' }));
    await old.append('r', [{ type: 'test.Renamed', data: { title: 'old' } }], { expectedVersion: 'any' });
    const reread = Object.assign(Object.create(InMemoryEventStore.prototype), old, { registry }) as InMemoryEventStore;
    expect((await reread.readStream('r')).events[0]).toMatchObject({ schemaVersion: 2, data: { name: 'old', by: 'upcast' } });
    expect((await reread.readAll(null, 1))[0]).toMatchObject({ schemaVersion: 2, sequence: { txId: '1', position: '1' } });
  });

  it('pages the global log in sequence order and hands out copies', async () => {
    const store = new InMemoryEventStore();
    for (let i = 0; i < 25; i++) await store.append(`s${i % 3}`, [ev(i), ev(i + 100)], { expectedVersion: 'any' });
    const seen: LogSequence[] = [];
    for await (const e of store.readAllFrom(null, { pageSize: 7 })) seen.push(e.sequence);
    expect(seen).toHaveLength(50);
    expect(seen.map((s) => Number(s.position))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await store.readAll(seen[47], 10)).toHaveLength(2);
    expect(await store.countAfter(seen[39])).toBe(10);
    expect(await store.countAfter(null)).toBe(50);

    const [first] = await store.readAll(null, 1);
    (first.data as any).n = 'mutated';
    expect(((await store.readAll(null, 1))[0].data as any).n).toBe(0);
  });
});
