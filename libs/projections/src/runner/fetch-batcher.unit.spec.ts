import type { BatchContext, LogBatch } from '@streamfold/messaging';
import { FetchBatcher, Gathered } from './fetch-batcher';
import type { BatchOutcome } from './partition-processor';

const context: BatchContext = { isRunning: () => true, heartbeat: async () => undefined };
const batch = (partition: number, events = 1): LogBatch => ({
  topic: 't',
  partition,
  highWatermark: 10,
  messages: Array.from({ length: events }, (_, i) => ({ topic: 't', partition, offset: i, key: null, value: Buffer.alloc(0), headers: {}, timestamp: 0 })),
});
const outcome = (applied: number): BatchOutcome => ({ applied, skipped: 0, duplicates: 0, deadLettered: 0 });

/** A batcher whose commit records each group's partitions and answers every batch with its event count. */
function recording(windowMs: number, maxEvents = 1000) {
  const groups: number[][] = [];
  const batcher = new FetchBatcher(async (group: Gathered[]) => {
    groups.push(group.map((g) => g.batch.partition));
    return group.map((g) => ({ status: 'fulfilled' as const, value: outcome(g.batch.messages.length) }));
  }, { windowMs, maxEvents });
  return { groups, batcher };
}

describe('FetchBatcher', () => {
  it('with windowMs 0 commits what was handed over in one turn together, and a later turn apart', async () => {
    const { groups, batcher } = recording(0);
    const first = [0, 1, 2].map((p) => batcher.submit(batch(p, p + 1), context));
    expect((await Promise.all(first)).map((o) => o.applied)).toEqual([1, 2, 3]);
    await batcher.submit(batch(3), context);
    expect(groups).toEqual([[0, 1, 2], [3]]);
  });

  it('with a window above 0 also gathers batches of later turns until it ends', async () => {
    const { groups, batcher } = recording(50);
    const a = batcher.submit(batch(0), context);
    await new Promise((r) => setImmediate(r));
    const b = batcher.submit(batch(1), context);
    await Promise.all([a, b]);
    expect(groups).toEqual([[0, 1]]);
  });

  it("never puts a partition's next batch in the group holding its previous one, and commits a full group at once", async () => {
    const { groups, batcher } = recording(0, 5);
    const done = [batcher.submit(batch(0), context), batcher.submit(batch(0), context), batcher.submit(batch(1, 5), context), batcher.submit(batch(2), context)];
    await Promise.all(done);
    expect(groups).toEqual([[0], [0, 1], [2]]);
  });

  it('rejects every batch of a group whose commit failed', async () => {
    const batcher = new FetchBatcher(async () => Promise.reject(new Error('database down')), { windowMs: 0, maxEvents: 100 });
    const results = await Promise.allSettled([batcher.submit(batch(0), context), batcher.submit(batch(1), context)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
