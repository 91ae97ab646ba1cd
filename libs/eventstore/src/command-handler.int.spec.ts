import { assertNever, ConcurrencyConflict, Decider, DomainEvent, IdempotencyKeyReused, RuleViolated } from '@streamfold/core';
import { executeCommand } from './command-handler';
import { EventStore } from './event-store.port';
import { InMemoryEventStore } from './memory-event-store';

type PostCommand = { type: 'CreatePost'; text: string } | { type: 'LikePost'; userId: string };
type PostEvent = DomainEvent<'PostCreated', { postId: string; text: string; at: string }> | DomainEvent<'PostLiked', { userId: string }>;
type PostState = { status: 'empty' } | { status: 'open'; postId: string; likedBy: string[] };

const posts: Decider<PostCommand, PostEvent, PostState> = {
  initialState: () => ({ status: 'empty' }),
  decide(command, state, ctx) {
    switch (command.type) {
      case 'CreatePost':
        if (state.status !== 'empty') throw new RuleViolated('post_exists', 'post already exists');
        return [{ type: 'PostCreated', data: { postId: ctx.newId(), text: command.text, at: ctx.now.toISOString() } }];
      case 'LikePost':
        if (state.status === 'empty') throw new RuleViolated('post_not_found', 'no such post');
        if (state.likedBy.includes(command.userId)) throw new RuleViolated('already_liked', `${command.userId} already liked it`);
        return [{ type: 'PostLiked', data: { userId: command.userId } }];
      default:
        return assertNever(command, 'command');
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'PostCreated':
        return { status: 'open', postId: event.data.postId, likedBy: [] };
      case 'PostLiked':
        return state.status === 'open' ? { ...state, likedBy: [...state.likedBy, event.data.userId] } : state;
      default:
        return assertNever(event, 'event');
    }
  },
};

const now = new Date('2025-11-25T10:00:00.000Z');
const like = (store: EventStore, userId: string, extra: { maxRetries?: number; commandId?: string; input?: unknown } = {}) =>
  executeCommand({ store, decider: posts, streamId: 'post-1', command: { type: 'LikePost', userId }, context: { actor: userId, now }, ...extra });

/** A store whose readStream waits at a gate, so two commands can load the same version. */
function gatedReads(store: InMemoryEventStore, loads: number) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  const gated: EventStore = Object.create(store);
  gated.readStream = async (id) => {
    const loaded = await store.readStream(id);
    if (waiting < loads) {
      waiting++;
      if (waiting === loads) release();
      await gate;
    }
    return loaded;
  };
  return gated;
}

async function created(store: EventStore) {
  return executeCommand({
    store,
    decider: posts,
    streamId: 'post-1',
    command: { type: 'CreatePost', text: 'hello' },
    context: { actor: 'alice', now, newId: () => 'post-1' },
    resultOf: (events) => ({ postId: (events[0].data as { postId: string }).postId }),
  });
}

describe('executeCommand', () => {
  it('loads, decides with the context, appends at the loaded version and returns the result', async () => {
    const store = new InMemoryEventStore();
    const outcome = await created(store);
    expect(outcome).toMatchObject({ version: 1, duplicate: false, result: { postId: 'post-1' } });
    expect(outcome.events[0]).toMatchObject({ type: 'PostCreated', actor: 'alice', occurredAt: now.toISOString(), data: { at: now.toISOString() } });
    await expect(created(store)).rejects.toMatchObject({ code: 'post_exists' });
    expect((await like(store, 'bob')).version).toBe(2);
  });

  it('turns a concurrent write into ConcurrencyConflict by default, and re-decides when retries are allowed', async () => {
    const store = new InMemoryEventStore();
    await created(store);
    const racing = gatedReads(store, 2);
    const results = await Promise.allSettled([like(racing, 'bob'), like(racing, 'carol')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflict);
    expect((await store.readStream('post-1')).version).toBe(2);

    const retrying = gatedReads(store, 2);
    const both = await Promise.all([like(retrying, 'dave', { maxRetries: 1 }), like(retrying, 'erin', { maxRetries: 1 })]);
    expect(both.map((o) => o.version).sort()).toEqual([3, 4]);
    const likedBy = (await store.readStream('post-1')).events.slice(1).map((e) => (e.data as { userId: string }).userId);
    expect(likedBy).toHaveLength(3);
    expect(likedBy.slice(1).sort()).toEqual(['dave', 'erin']);
  });

  it('decides first on a stream the caller loaded, and reads afresh when that turns out stale', async () => {
    const store = new InMemoryEventStore();
    await created(store);
    const reads: string[] = [];
    const counted: EventStore = Object.create(store);
    counted.readStream = (id) => (reads.push(id), store.readStream(id));
    const fresh = await store.readStream('post-1');
    expect((await executeCommand({ store: counted, decider: posts, streamId: 'post-1', command: { type: 'LikePost', userId: 'bob' }, context: { actor: 'bob', now }, loaded: fresh })).version).toBe(2);
    expect(reads).toEqual([]);
    // `fresh` is now one event behind: the append conflicts, the retry reads and decides again.
    const retried = await executeCommand({ store: counted, decider: posts, streamId: 'post-1', command: { type: 'LikePost', userId: 'carol' }, context: { actor: 'carol', now }, loaded: fresh, maxRetries: 1 });
    expect([retried.version, reads]).toEqual([3, ['post-1']]);
    await expect(executeCommand({ store: counted, decider: posts, streamId: 'post-1', command: { type: 'LikePost', userId: 'dave' }, context: { actor: 'dave', now }, loaded: fresh })).rejects.toBeInstanceOf(ConcurrencyConflict);
  });

  it('gives up after maxRetries conflicts', async () => {
    const store = new InMemoryEventStore();
    await created(store);
    let appends = 0;
    const contended: EventStore = Object.create(store);
    contended.append = async (id, events, options) => {
      appends++;
      await store.append(id, [{ type: 'PostLiked', data: { userId: `other-${appends}` } }], { expectedVersion: 'any' });
      return store.append(id, events, options);
    };
    await expect(like(contended, 'bob', { maxRetries: 2 })).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(appends).toBe(3);
  });

  it('answers a repeated command id with the first result, even once deciding again would fail', async () => {
    const store = new InMemoryEventStore();
    await created(store);
    const first = await like(store, 'bob', { commandId: 'like-1' });
    const again = await like(store, 'bob', { commandId: 'like-1' });
    expect(again).toEqual({ ...first, duplicate: true });
    await expect(like(store, 'bob')).rejects.toMatchObject({ code: 'already_liked' });

    const racing = await Promise.all(Array.from({ length: 10 }, () => like(store, 'zoe', { commandId: 'like-zoe', maxRetries: 3 })));
    expect(racing.filter((o) => !o.duplicate)).toHaveLength(1);
    expect((await store.readStream('post-1')).events.filter((e) => (e.data as { userId?: string }).userId === 'zoe')).toHaveLength(1);
  });

  it('refuses a repeated command id whose input differs, before deciding and when racing', async () => {
    const store = new InMemoryEventStore();
    await created(store);
    const first = await like(store, 'bob', { commandId: 'like-1', input: { post: 'post-1', reaction: 'like' } });
    // Key order does not make another input.
    expect(await like(store, 'bob', { commandId: 'like-1', input: { reaction: 'like', post: 'post-1' } })).toEqual({ ...first, duplicate: true });
    await expect(like(store, 'bob', { commandId: 'like-1', input: { post: 'post-1', reaction: 'love' } })).rejects.toMatchObject({
      status: 422,
      code: 'idempotency_key_reused',
      message: expect.stringContaining('different content'),
    });

    const gated = gatedReads(store, 2);
    const racing = await Promise.allSettled([
      like(gated, 'zoe', { commandId: 'like-zoe', input: { n: 1 } }),
      like(gated, 'zoe', { commandId: 'like-zoe', input: { n: 2 } }),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(racing.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(IdempotencyKeyReused) });
    expect((await store.readStream('post-1')).events).toHaveLength(3);
  });
});
