import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedMessageLog } from './embedded-log';
import { ConsumerHandle, LogMessage, partitionForKey } from './message-log.port';

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EmbeddedMessageLog', () => {
  const logs: EmbeddedMessageLog[] = [];
  const dirs: string[] = [];
  const newLog = (options: ConstructorParameters<typeof EmbeddedMessageLog>[0] = {}) => {
    const log = new EmbeddedMessageLog(options);
    logs.push(log);
    return log;
  };
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-log-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses unknown topics and leaves existing topics unchanged', async () => {
    const log = newLog();
    await expect(log.send('nope', [{ key: 'a', value: 'x' }])).rejects.toThrow('topic nope does not exist');
    await log.ensureTopics([{ name: 't', partitions: 3 }]);
    await log.ensureTopics([{ name: 't', partitions: 8 }]);
    expect(await log.offsets('t')).toEqual([0, 1, 2].map((partition) => ({ partition, low: 0, high: 0 })));
  });

  it('routes a key to partitionForKey and keeps per-key send order with dense offsets', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'orders', partitions: 4 }]);
    const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    for (let round = 0; round < 5; round++) {
      await log.send('orders', keys.map((key) => ({ key, value: `${key}#${round}`, headers: { round: String(round) } })));
    }
    const seen: LogMessage[] = [];
    await log.consume({ groupId: 'g', topics: ['orders'], eachBatch: async (b) => void seen.push(...b.messages) });
    await waitFor(() => seen.length === 60);

    for (const key of keys) {
      const mine = seen.filter((m) => m.key === key);
      expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([partitionForKey(key, 4, 0)]));
      expect(mine.map((m) => m.value.toString())).toEqual([0, 1, 2, 3, 4].map((r) => `${key}#${r}`));
      expect(mine.map((m) => m.headers.round)).toEqual(['0', '1', '2', '3', '4']);
    }
    for (const { partition, high } of await log.offsets('orders')) {
      const offsets = seen.filter((m) => m.partition === partition).map((m) => m.offset);
      expect(offsets).toEqual(Array.from({ length: high }, (_, i) => i));
    }
    expect(seen.every((m) => m.topic === 'orders' && Buffer.isBuffer(m.value))).toBe(true);
  });

  it('splits a 6-partition topic across 2 members and delivers every message exactly once', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'events', partitions: 6 }]);
    const received = new Map<string, number>();
    const byMember: number[][] = [[], []];
    const inFlight = new Set<number>();
    const member = (index: number) =>
      log.consume({
        groupId: 'projector',
        topics: ['events'],
        maxBatchSize: 7,
        eachBatch: async (batch) => {
          if (inFlight.has(batch.partition)) throw new Error('two batches at once on one partition');
          inFlight.add(batch.partition);
          await sleep(1);
          for (const m of batch.messages) received.set(m.value.toString(), (received.get(m.value.toString()) ?? 0) + 1);
          byMember[index].push(batch.partition);
          inFlight.delete(batch.partition);
        },
      });
    const a = await member(0);
    const b = await member(1);
    const assigned = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort();
    expect(assigned).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.assignment()).toHaveLength(3);

    for (let i = 0; i < 300; i++) await log.send('events', [{ key: `k${i % 37}`, value: `m${i}` }]);
    await waitFor(() => received.size === 300);
    await waitFor(async () => (await log.committedOffsets('projector', 'events')).size === 6);
    await sleep(50);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    const owned = (h: ConsumerHandle) => new Set(h.assignment().map((tp) => tp.partition));
    expect(byMember[0].every((p) => owned(a).has(p))).toBe(true);
    expect(byMember[1].every((p) => owned(b).has(p))).toBe(true);
    const committed = await log.committedOffsets('projector', 'events');
    for (const { partition, high } of await log.offsets('events')) expect(committed.get(partition) ?? 0).toBe(high);
  });

  it('redelivers the uncommitted batch of a stopping member to the remaining one', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'jobs', partitions: 1 }]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runningAtEnd: boolean | undefined;
    const firstSeen: number[] = [];
    const a = await log.consume({
      groupId: 'workers',
      topics: ['jobs'],
      eachBatch: async (batch, context) => {
        firstSeen.push(...batch.messages.map((m) => m.offset));
        await gate;
        runningAtEnd = context.isRunning();
      },
    });
    const secondSeen: number[] = [];
    const assignments: number[][] = [];
    const b = await log.consume({
      groupId: 'workers',
      topics: ['jobs'],
      onAssignment: (tps) => assignments.push(tps.map((tp) => tp.partition)),
      eachBatch: async (batch) => void secondSeen.push(...batch.messages.map((m) => m.offset)),
    });
    expect(a.assignment()).toEqual([{ topic: 'jobs', partition: 0 }]);
    expect(b.assignment()).toEqual([]);

    await log.send('jobs', [0, 1, 2].map((i) => ({ key: null, value: `job${i}` })));
    await waitFor(() => firstSeen.length === 3);
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false); // stop waits for the in-flight batch
    release();
    await stopping;

    expect(runningAtEnd).toBe(false);
    await waitFor(() => secondSeen.length === 3);
    expect(secondSeen).toEqual([0, 1, 2]);
    expect(assignments.at(-1)).toEqual([0]);
    await waitFor(async () => (await log.committedOffsets('workers', 'jobs')).get(0) === 3);
  });

  it('redelivers a batch whose handler threw, then commits it', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'flaky', partitions: 1 }]);
    await log.send('flaky', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    const attempts: number[][] = [];
    await log.consume({
      groupId: 'g',
      topics: ['flaky'],
      eachBatch: async (batch) => {
        attempts.push(batch.messages.map((m) => m.offset));
        if (attempts.length === 1) throw new Error('transient');
      },
    });
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([[0, 1], [0, 1]]);
    await waitFor(async () => (await log.committedOffsets('g', 'flaky')).get(0) === 2);
  });

  it('stops a failing member promptly instead of sleeping through its backoff', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'broken', partitions: 1 }]);
    await log.send('broken', [{ key: null, value: 'poison' }]);
    let attempts = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handle = await log.consume({
      groupId: 'g',
      topics: ['broken'],
      eachBatch: async () => {
        if (++attempts === 3) await gate; // fails a third time while stop() is pending; the next backoff would be 400ms
        throw new Error('always');
      },
    });
    await waitFor(() => attempts === 3);
    const stopping = handle.stop();
    const released = Date.now();
    release();
    await stopping;
    expect(Date.now() - released).toBeLessThan(200);
    expect(attempts).toBe(3);
    expect(await log.committedOffsets('g', 'broken')).toEqual(new Map());
  });

  it('starts at the current end when fromBeginning is false and nothing is committed', async () => {
    const log = newLog();
    await log.ensureTopics([{ name: 'live', partitions: 1 }]);
    await log.send('live', [{ key: null, value: 'old' }]);
    const seen: string[] = [];
    await log.consume({ groupId: 'g', topics: ['live'], fromBeginning: false, eachBatch: async (b) => void seen.push(...b.messages.map((m) => m.value.toString())) });
    await log.send('live', [{ key: null, value: 'new' }]);
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['new']);
  });

  it('wakes an idle consumer on send instead of waiting for a timer', async () => {
    // Timers are frozen, so a delivery can only come from the send notification, not from polling.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const log = new EmbeddedMessageLog();
    try {
      await log.ensureTopics([{ name: 'idle', partitions: 2 }]);
      const seen: string[] = [];
      await log.consume({ groupId: 'g', topics: ['idle'], eachBatch: async (b) => void seen.push(...b.messages.map((m) => m.value.toString())) });
      const turns = async (n: number) => { for (let i = 0; i < n && seen.length === 0; i++) await new Promise((r) => setImmediate(r)); };
      await turns(20); // let the consumer go idle
      await log.send('idle', [{ key: 'k', value: 'wake up' }]);
      await turns(200);
      expect(seen).toEqual(['wake up']);
    } finally {
      await log.close();
      jest.useRealTimers();
    }
  });

  it('persists topics, messages and committed offsets, dropping a truncated last line', async () => {
    const dir = newDir();
    const first = newLog({ dir, prefix: 'dev.' });
    await first.ensureTopics([{ name: 'ledger', partitions: 2 }]);
    const at = 1_700_000_000_000;
    await first.send('ledger', [0, 1, 2, 3].map((i) => ({ key: 'acct-1', value: Buffer.from([i, 255]), timestamp: at + i, headers: { i: String(i) } })));
    const partition = partitionForKey('acct-1', 2, 0);
    let consumed = 0;
    const handle = await first.consume({ groupId: 'proj', topics: ['ledger'], maxBatchSize: 3, eachBatch: async (b) => void (consumed += b.messages.length) });
    await waitFor(() => consumed === 4);
    await handle.stop();
    await first.close();

    // A crash in the middle of an append leaves half a line behind.
    const file = join(dir, 'topics', 'dev.ledger', `${partition}.jsonl`);
    appendFileSync(file, '{"offset":4,"key":"acct-1","val');

    const second = newLog({ dir, prefix: 'dev.' });
    expect(second.physicalName('ledger')).toBe('dev.ledger');
    expect((await second.offsets('ledger')).find((o) => o.partition === partition)?.high).toBe(4);
    expect((await second.committedOffsets('proj', 'ledger')).get(partition)).toBe(4);
    await second.send('ledger', [{ key: 'acct-1', value: Buffer.from([9]) }]);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).offset)).toEqual([0, 1, 2, 3, 4]);

    const resumed: LogMessage[] = [];
    await second.consume({ groupId: 'proj', topics: ['ledger'], eachBatch: async (b) => void resumed.push(...b.messages) });
    await waitFor(() => resumed.length === 1);
    expect(resumed[0]).toMatchObject({ topic: 'ledger', partition, offset: 4, key: 'acct-1' });
    await second.close();

    const third = newLog({ dir, prefix: 'dev.' });
    const all: LogMessage[] = [];
    await third.consume({ groupId: 'fresh', topics: ['ledger'], eachBatch: async (b) => void all.push(...b.messages) });
    await waitFor(() => all.length === 5);
    expect(all.map((m) => [...m.value])).toEqual([[0, 255], [1, 255], [2, 255], [3, 255], [9]]);
    expect(all.slice(0, 4).map((m) => [m.timestamp, m.headers.i])).toEqual([0, 1, 2, 3].map((i) => [at + i, String(i)]));
  });

  it('isolates logs with different prefixes on one directory', async () => {
    const dir = newDir();
    const blue = newLog({ dir, prefix: 'blue.' });
    const green = newLog({ dir, prefix: 'green.' });
    await blue.ensureTopics([{ name: 'orders', partitions: 3 }]);
    await blue.send('orders', [{ key: 'x', value: 'blue order' }]);
    await expect(green.send('orders', [{ key: 'x', value: 'green order' }])).rejects.toThrow('does not exist');
    await green.ensureTopics([{ name: 'orders', partitions: 2 }]);
    expect(await green.offsets('orders')).toEqual([0, 1].map((partition) => ({ partition, low: 0, high: 0 })));

    const reopened = newLog({ dir, prefix: 'blue.' });
    expect((await reopened.offsets('orders')).map((o) => o.high).reduce((a, b) => a + b)).toBe(1);
  });
});
