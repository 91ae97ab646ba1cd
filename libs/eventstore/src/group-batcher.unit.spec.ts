import { GroupBatcher, GroupResult } from './group-batcher';

describe('GroupBatcher', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs the calls of one turn as one group, and gathers calls made meanwhile into the next', async () => {
    const groups: number[][] = [];
    const gate = deferred();
    const batcher = new GroupBatcher<number, number>(async (items) => {
      groups.push(items);
      if (groups.length === 1) await gate.promise;
      return items.map((i) => ({ value: i * 10 }));
    }, { maxInFlight: 1 });
    const first = [1, 2, 3].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    const second = [4, 5].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[1, 2, 3]]);
    gate.resolve();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(groups).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('keeps calls of one exclusive key in separate groups, in call order, and caps a group', async () => {
    const groups: string[][] = [];
    const batcher = new GroupBatcher<string, string>(async (items) => (groups.push(items), items.map((i) => ({ value: i }))), {
      maxInFlight: 1,
      maxGroup: 3,
      exclusiveKey: (i) => i[0],
    });
    await Promise.all(['a1', 'b1', 'a2', 'c1', 'd1', 'a3'].map((i) => batcher.submit(i)));
    expect(groups).toEqual([['a1', 'b1', 'c1'], ['a2', 'd1'], ['a3']]);
  });

  it('runs groups side by side, but never a call beside a running group that holds its key', async () => {
    const groups: string[][] = [];
    const gates = [deferred(), deferred()];
    const batcher = new GroupBatcher<string, string>(async (items) => {
      const n = groups.push(items);
      if (n <= 2) await gates[n - 1].promise;
      return items.map((i) => ({ value: i }));
    }, { maxInFlight: 2, exclusiveKey: (i) => i[0] });
    const first = ['a1', 'b1'].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    // a2 waits for the group holding a; c1 starts beside it.
    const second = ['a2', 'c1'].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([['a1', 'b1'], ['c1']]);
    gates[1].resolve();
    await second[1];
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([['a1', 'b1'], ['c1']]);
    gates[0].resolve();
    expect(await Promise.all([...first, ...second])).toEqual(['a1', 'b1', 'a2', 'c1']);
    expect(groups).toEqual([['a1', 'b1'], ['c1'], ['a2']]);
  });

  it('fails only the calls whose result is an error; a run that throws fails its whole group', async () => {
    const batcher = new GroupBatcher<number, number>(async (items): Promise<Array<GroupResult<number>>> => {
      if (items.includes(99)) throw new Error('statement failed');
      return items.map((i) => (i % 2 ? { value: i } : { error: new Error(`even ${i}`) }));
    });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([1, 'even 2', 3]);
    await new Promise((r) => setImmediate(r));
    const failed = await Promise.allSettled([5, 99].map((i) => batcher.submit(i)));
    expect(failed.map((s) => s.status === 'rejected' && (s.reason as Error).message)).toEqual(['statement failed', 'statement failed']);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new GroupBatcher(async () => [], { maxInFlight: 0 })).toThrow(RangeError);
    expect(() => new GroupBatcher(async () => [], { maxGroup: 1.5 })).toThrow(RangeError);
  });
});
