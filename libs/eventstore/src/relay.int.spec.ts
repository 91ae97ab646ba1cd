import { fromWire, HEADER, parseSequence } from '@streamfold/core';
import { EmbeddedMessageLog, MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { Registry } from 'prom-client';
import { InMemoryEventStore } from './memory-event-store';
import { Relay, RelayOptions } from './relay';
import { RELAYED_AT_HEADER } from './stage-latency';
import { RelayRoute } from './relay-route';
import { InMemoryRelayLeases } from './relay-lease';

const route: RelayRoute = (e) => (e.type === 'test.Internal' ? null : { topic: e.streamId.startsWith('post') ? 'posts' : 'likes', key: e.streamId });

/** Records sends; can fail the next n sends of a topic or hold every send at a gate. */
function recordingLog() {
  const sent: Array<{ topic: string; message: OutgoingMessage }> = [];
  const failures = new Map<string, number>();
  let gate: Promise<void> | null = null;
  let open = () => undefined as void;
  let sends = 0;
  const log = {
    async send(topic: string, messages: OutgoingMessage[]) {
      sends++;
      if (gate) await gate;
      const fail = failures.get(topic) ?? 0;
      if (fail > 0) {
        failures.set(topic, fail - 1);
        throw new Error(`${topic} unavailable`);
      }
      for (const message of messages) sent.push({ topic, message });
    },
  } as unknown as MessageLog;
  return {
    log,
    sent,
    sends: () => sends,
    fail: (topic: string, times: number) => failures.set(topic, times),
    hold: () => (gate = new Promise((r) => (open = r as () => void))),
    release: () => ((gate = null), open()),
  };
}

async function seed(store: InMemoryEventStore, appends: number) {
  for (let i = 0; i < appends; i++) {
    const stream = i % 2 === 0 ? `post-${i % 5}` : `like-${i % 3}`;
    await store.append(stream, [{ type: 'test.Happened', data: { i } }, { type: i % 4 === 0 ? 'test.Internal' : 'test.Happened', data: { i, second: true } }], { expectedVersion: 'any' });
  }
}

/** Waits for `ready`, failing after 2 s (a relay that missed a wake would otherwise idle for its whole poll). */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 2000; !ready(); await new Promise((done) => setTimeout(done, 1))) {
    if (Date.now() > deadline) throw new Error(`waited 2 s for ${what}`);
  }
}

const relays: Relay[] = [];
function relay(options: Partial<RelayOptions> & Pick<RelayOptions, 'store' | 'log' | 'leases'>): Relay {
  const r = new Relay({ route, batchSize: 7, pollIntervalMs: 5, initialBackoffMs: 5, maxBackoffMs: 20, logger: () => undefined, ...options });
  relays.push(r);
  return r;
}
afterEach(() => Promise.all(relays.splice(0).map((r) => r.stop())));

describe('Relay', () => {
  it('publishes every routed event once, in relay order per topic, with the sf-seq header', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    await seed(store, 40);
    const metrics = new Registry();
    const r = relay({ store, log: fake.log, leases: new InMemoryRelayLeases(), metrics });
    r.start();
    await r.waitUntilIdle(5000);
    await store.append('post-9', [{ type: 'test.Happened', data: { late: true } }], { expectedVersion: 'any' });
    await r.waitUntilIdle(5000);

    const all = await store.readAll(null, 1000);
    const routed = all.filter((e) => e.type !== 'test.Internal');
    expect(fake.sent.map((s) => s.message.headers![HEADER.eventId]).sort()).toEqual(routed.map((e) => e.eventId).sort());
    for (const topic of ['posts', 'likes']) {
      const onTopic = fake.sent.filter((s) => s.topic === topic);
      const expected = routed.filter((e) => route(e)!.topic === topic);
      expect(onTopic.map((s) => parseSequence(s.message.headers![HEADER.sequence]))).toEqual(expected.map((e) => e.sequence));
      expect(onTopic.map((s) => s.message.key)).toEqual(expected.map((e) => e.streamId));
    }
    const { envelope } = fromWire(fake.sent[0].message.value as string);
    expect(envelope).not.toHaveProperty('sequence');
    expect(envelope.streamPosition).toBe(1);
    expect(r.publishedUpTo()).toEqual(await store.head());
    expect((await metrics.getSingleMetric('streamfold_relay_events_total')!.get()).values[0].value).toBe(all.length);
    expect((await metrics.getSingleMetric('streamfold_relay_lag_events')!.get()).values[0].value).toBe(0);
  });

  it('retries a failed send without advancing the checkpoint and re-sends only the failed topic', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    await seed(store, 6);
    fake.fail('likes', 3);
    const r = relay({ store, log: fake.log, leases: new InMemoryRelayLeases(), batchSize: 100 });
    r.start();
    while (fake.sends() < 3) await new Promise((res) => setTimeout(res, 1));
    expect(r.publishedUpTo()).toBeNull();
    await r.waitUntilIdle(5000);
    expect(fake.sends()).toBe(5); // posts once, likes three failures and one success
    const ids = fake.sent.map((s) => s.message.headers![HEADER.eventId]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.publishedUpTo()).toEqual(await store.head());
  });

  it('sends each round in one sendBatch across topics, retries it whole, and times stored → relayed', async () => {
    const store = new InMemoryEventStore();
    await seed(store, 6);
    const rounds: Array<{ topics: string[]; count: number }> = [];
    let failures = 2;
    const sent: OutgoingMessage[] = [];
    const log = {
      async send() {
        throw new Error('send must not be used when sendBatch exists');
      },
      async sendBatch(batches: Array<{ topic: string; messages: OutgoingMessage[] }>) {
        rounds.push({ topics: batches.map((b) => b.topic), count: batches.reduce((n, b) => n + b.messages.length, 0) });
        if (failures-- > 0) throw new Error('broker away');
        for (const b of batches) sent.push(...b.messages);
      },
    } as unknown as MessageLog;
    const metrics = new Registry();
    const r = relay({ store, log, leases: new InMemoryRelayLeases(), batchSize: 100, metrics });
    r.start();
    await r.waitUntilIdle(5000);
    const routed = (await store.readAll(null, 1000)).filter((e) => e.type !== 'test.Internal');
    expect(rounds).toHaveLength(3); // two failed attempts of the one round, then its success
    for (const round of rounds) expect(round).toEqual({ topics: ['posts', 'likes'], count: routed.length });
    expect(sent.map((m) => m.headers![HEADER.eventId]).sort()).toEqual(routed.map((e) => e.eventId).sort());
    expect(sent.every((m) => Number(m.headers![RELAYED_AT_HEADER]) > 0)).toBe(true);
    const stages = (await metrics.getSingleMetric('streamfold_stage_latency_seconds')!.get()).values;
    // One series per topic: each counts the events routed there.
    const counts = stages.filter((v) => v.labels.stage === 'stored_to_relayed' && (v as { metricName?: string }).metricName?.endsWith('_count'));
    const perTopic = Object.fromEntries(counts.map((v) => [v.labels.topic, v.value]));
    expect(perTopic).toEqual({ posts: routed.filter((e) => route(e)!.topic === 'posts').length, likes: routed.filter((e) => route(e)!.topic === 'likes').length });
  });

  it('idles after a short batch until woken, and keeps a wake that came while a round was sending', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    // Only wake() ends an idle pause here: a poll would hide a lost wake.
    const r = relay({ store, log: fake.log, leases: new InMemoryRelayLeases(), pollIntervalMs: 60_000 });
    await store.append('post-1', [{ type: 'test.Happened', data: { n: 1 } }], { expectedVersion: 'any' });
    r.start();
    await r.waitUntilIdle(5000);
    const reads = jest.spyOn(store, 'readAll');
    fake.hold();
    await store.append('post-1', [{ type: 'test.Happened', data: { n: 2 } }], { expectedVersion: 'any' });
    r.wake();
    await until(() => fake.sends() >= 2, 'the second round to send');
    // The round is sending n=2; n=3 is appended and its wake comes now, before the relay idles.
    await store.append('post-1', [{ type: 'test.Happened', data: { n: 3 } }], { expectedVersion: 'any' });
    r.wake();
    fake.release();
    await until(() => fake.sent.length >= 3, 'the third event, woken while the second was sending');
    expect(fake.sent.map((s) => (fromWire(s.message.value as string).envelope.data as { n: number }).n)).toEqual([1, 2, 3]);
    // One read per wake: a short batch is not followed by a read that finds nothing.
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('with lingerMs, appends woken in quick succession share one round; a wake after a quiet spell starts one at once', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    const r = relay({ store, log: fake.log, leases: new InMemoryRelayLeases(), pollIntervalMs: 60_000, lingerMs: 3000 });
    const n = (i: number) => (fromWire(fake.sent[i].message.value as string).envelope.data as { n: number }).n;
    await store.append('post-1', [{ type: 'test.Happened', data: { n: 0 } }], { expectedVersion: 'any' });
    r.start();
    await until(() => fake.sent.length === 1, 'the first round');
    const reads = jest.spyOn(store, 'readAll');
    // Three appends, each waking the relay, within the linger of the round that just ran: one round for all three.
    for (const i of [1, 2, 3]) {
      await store.append(`post-${i}`, [{ type: 'test.Happened', data: { n: i } }], { expectedVersion: 'any' });
      r.wake();
    }
    for (const deadline = Date.now() + 10_000; fake.sent.length < 4; await new Promise((done) => setTimeout(done, 5))) {
      if (Date.now() > deadline) throw new Error(`waited 10 s for the lingered round (${fake.sent.length} sent)`);
    }
    expect(reads).toHaveBeenCalledTimes(1);
    expect(fake.sends()).toBe(2);
    expect([1, 2, 3].map(n)).toEqual([1, 2, 3]);
    // Once the last round began longer ago than the linger (the clock moved on), a wake starts a
    // round at once: `until` gives up after 2 s, before a 3 s linger would have ended.
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 10_000);
    try {
      await store.append('post-4', [{ type: 'test.Happened', data: { n: 4 } }], { expectedVersion: 'any' });
      r.wake();
      await until(() => fake.sent.length === 5, 'the round after a quiet spell');
    } finally {
      clock.mockRestore();
    }
    expect(n(4)).toBe(4);
  });

  it('refuses a negative lingerMs', () => {
    expect(() => new Relay({ route, store: new InMemoryEventStore(), log: recordingLog().log, leases: new InMemoryRelayLeases(), lingerMs: -1 })).toThrow('lingerMs must be 0 or more');
  });

  it('keeps a second instance on standby and lets it take over from the checkpoint', async () => {
    const store = new InMemoryEventStore();
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'posts', partitions: 3 }, { name: 'likes', partitions: 3 }]);
    await seed(store, 20);
    const leases = new InMemoryRelayLeases({ standbyPollMs: 5 });
    const first = relay({ store, log, leases, name: 'main' });
    const second = relay({ store, log, leases, name: 'main' });
    first.start();
    await first.waitUntilIdle(5000);
    second.start();
    await new Promise((res) => setTimeout(res, 30));
    expect([first.state, second.state]).toEqual(['active', 'standby']);

    await first.stop();
    await seed(store, 10);
    await second.waitUntilIdle(5000);
    expect(second.state).toBe('active');
    const total = (await log.offsets('posts')).concat(await log.offsets('likes')).reduce((n, p) => n + p.high, 0);
    expect(total).toBe((await store.readAll(null, 1000)).filter((e) => e.type !== 'test.Internal').length);
    await log.close();
  });

  it('saves the checkpoint at most once per checkpointIntervalMs while events keep coming, and what is left once caught up', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    await seed(store, 40); // 80 events, 12 rounds of 7
    const leases = new InMemoryRelayLeases();
    const saved: string[] = [];
    const counting = {
      acquire: async (name: string, signal: AbortSignal) => {
        const lease = await leases.acquire(name, signal);
        if (!lease) return null;
        return {
          get held() {
            return lease.held;
          },
          load: () => lease.load(),
          release: () => lease.release(),
          save: async (sequence: Parameters<typeof lease.save>[0]) => {
            saved.push(`${sequence.txId}:${sequence.position}`);
            await lease.save(sequence);
          },
        };
      },
    };
    const r = relay({ store, log: fake.log, leases: counting, checkpointIntervalMs: 60_000, pollIntervalMs: 60_000 });
    r.start();
    const head = await store.head();
    const routed = (await store.readAll(null, 1000)).filter((e) => e.type !== 'test.Internal').length;
    // Every round is sent, but only the first saves while the interval runs; the read that finds
    // nothing more (woken here, the poll interval being a minute) saves the last one.
    await until(() => fake.sent.length === routed, `every event sent (${fake.sent.length}/${routed}, saves ${saved.length})`);
    await until(() => saved.length === 1, 'the first save');
    expect(saved).toHaveLength(1);
    r.wake();
    await until(() => saved.length === 2, 'the save once caught up');
    expect(saved[1]).toBe(`${head!.txId}:${head!.position}`);
    expect(r.publishedUpTo()).toEqual(head);
  });

  it('stop() lets the in-flight batch finish and checkpoint', async () => {
    const store = new InMemoryEventStore();
    const fake = recordingLog();
    await seed(store, 3);
    fake.hold();
    const r = relay({ store, log: fake.log, leases: new InMemoryRelayLeases(), batchSize: 100 });
    r.start();
    while (fake.sends() < 1) await new Promise((res) => setTimeout(res, 1));
    const stopping = r.stop();
    fake.release();
    await stopping;
    expect(r.state).toBe('stopped');
    expect(r.publishedUpTo()).toEqual(await store.head());
  });
});
