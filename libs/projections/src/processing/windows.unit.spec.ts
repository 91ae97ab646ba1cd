import fc from 'fast-check';
import { propertyParams } from '@streamfold/testing';
import { add, AddResult, assignWindows, closeWindows, current, emptyWindowedAggregate, slidingWindows, tumblingWindows, WindowedAggregate, WindowSpec } from './windows';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00.000Z`);

describe('window assignment', () => {
  it('puts an event in exactly one tumbling window, boundaries half-open', () => {
    const spec = tumblingWindows(HOUR);
    expect(assignWindows(spec, at('12:00'))).toEqual([{ start: at('12:00'), end: at('13:00') }]);
    expect(assignWindows(spec, at('12:59') + 59_999)).toEqual([{ start: at('12:00'), end: at('13:00') }]);
    expect(assignWindows(spec, -1)).toEqual([{ start: -HOUR, end: 0 }]);
  });

  it('puts an event in size / slide sliding windows, oldest first', () => {
    const windows = assignWindows(slidingWindows(HOUR, 15 * MINUTE), at('12:20'));
    expect(windows.map((w) => [w.start, w.end])).toEqual([
      [at('11:30'), at('12:30')],
      [at('11:45'), at('12:45')],
      [at('12:00'), at('13:00')],
      [at('12:15'), at('13:15')],
    ]);
  });

  it('refuses specs and times that would give wrong windows', () => {
    expect(() => tumblingWindows(0)).toThrow(RangeError);
    expect(() => slidingWindows(HOUR, 2 * HOUR)).toThrow(/must not exceed/);
    expect(() => slidingWindows(HOUR, 1.5)).toThrow(RangeError);
    expect(() => assignWindows(tumblingWindows(HOUR), Number.NaN)).toThrow(/finite/);
  });
});

describe('windowed aggregate', () => {
  const lateness = { allowedLatenessMs: 10 * MINUTE };

  it('folds an out-of-order event within lateness into its window and closes each window once', () => {
    let s = emptyWindowedAggregate<string, number>(tumblingWindows(HOUR));
    for (const t of ['12:10', '12:50', '13:05']) s = accept(add(s, 'p1', at(t), 1, lateness));
    s = accept(add(s, 'p1', at('12:58'), 1, lateness)); // watermark 12:55: [12:00, 13:00) still open
    expect(closeWindows(s).closed).toEqual([]);

    s = accept(add(s, 'p1', at('13:11'), 1, lateness)); // watermark 13:01
    const first = closeWindows(s);
    expect(first.closed).toEqual([{ window: { start: at('12:00'), end: at('13:00') }, key: 'p1', value: 3 }]);
    expect(closeWindows(first.state).closed).toEqual([]);
  });

  it('rejects an event whose windows are all final, as late, and leaves the state unchanged', () => {
    let s = emptyWindowedAggregate<string, number>(tumblingWindows(HOUR));
    s = accept(add(s, 'p1', at('13:20'), 1, lateness));
    const late = add(s, 'p1', at('12:59'), 1, lateness);
    expect(late).toEqual({ accepted: false, reason: 'late', state: s, watermarkMs: at('13:10') });
  });

  it('counts a partly late event in the sliding windows that are still open and names the missed ones', () => {
    let s = emptyWindowedAggregate<string, number>(slidingWindows(HOUR, 30 * MINUTE));
    s = accept(add(s, 'p1', at('13:05'), 1)); // watermark 13:05
    const r = add(s, 'p1', at('12:40'), 1);
    if (!r.accepted) throw new Error('expected accepted');
    expect(r.windows).toEqual([{ start: at('12:30'), end: at('13:30') }]);
    expect(r.missedWindows).toEqual([{ start: at('12:00'), end: at('13:00') }]);
  });

  it('combines non-numeric aggregates with the given function', () => {
    const spec = tumblingWindows(HOUR);
    const combine = (a: { riders: number; drivers: number }, b: { riders: number; drivers: number }) => ({ riders: a.riders + b.riders, drivers: a.drivers + b.drivers });
    let s = emptyWindowedAggregate<string, { riders: number; drivers: number }>(spec);
    s = accept(add(s, 'cell-1', at('12:01'), { riders: 1, drivers: 0 }, { combine }));
    s = accept(add(s, 'cell-1', at('12:02'), { riders: 0, drivers: 1 }, { combine }));
    expect(current(s, at('12:30')).values).toEqual({ 'cell-1': { riders: 1, drivers: 1 } });
  });

  it('serves "the past hour" live from the earliest window containing now', () => {
    let s = emptyWindowedAggregate<string, number>(slidingWindows(HOUR, 5 * MINUTE));
    for (const [key, t] of [['a', '11:50'], ['a', '12:20'], ['b', '12:25'], ['a', '12:30']] as const) s = accept(add(s, key, at(t), 1, lateness));
    expect(current(s, at('12:52'))).toEqual({ window: { start: at('11:55'), end: at('12:55') }, values: { a: 2, b: 1 } });
    expect(current(s, at('15:00')).values).toEqual({});
  });

  it('survives a JSON round trip (it lives in a jsonb column)', () => {
    let s = emptyWindowedAggregate<string, number>(slidingWindows(HOUR, 30 * MINUTE));
    s = accept(add(s, 'p1', at('12:10'), 2));
    const revived = JSON.parse(JSON.stringify(s)) as typeof s;
    expect(revived).toEqual(s);
    expect(closeWindows(accept(add(revived, 'p1', at('14:00'), 1))).closed.map((c) => c.value)).toEqual([2, 2]);
  });
});

describe('windowed aggregate properties', () => {
  const spec = fc.constantFrom(tumblingWindows(10), slidingWindows(10, 5), slidingWindows(12, 3), slidingWindows(7, 7));
  const event = fc.record({ key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: -50, max: 200 }), value: fc.integer({ min: 1, max: 5 }) });
  type Ev = { key: string; t: number; value: number };

  /** Feeds events one by one, closing after each as a processor does; returns every result once. */
  function run(specValue: WindowSpec, events: Ev[], allowedLatenessMs: number) {
    let s: WindowedAggregate<string, number> = emptyWindowedAggregate(specValue);
    const results = new Map<string, number>();
    const rejected: Ev[] = [];
    const record = (start: number, key: string, value: number) => {
      const id = `${start}/${key}`;
      if (results.has(id)) throw new Error(`window ${id} emitted twice`);
      results.set(id, value);
    };
    for (const e of events) {
      const r = add(s, e.key, e.t, e.value, { allowedLatenessMs });
      if (!r.accepted) rejected.push(e);
      const closed = closeWindows(r.state);
      s = closed.state;
      for (const c of closed.closed) record(c.window.start, c.key, c.value);
    }
    for (const [slot, values] of Object.entries(s.open)) for (const [key, value] of Object.entries(values)) record(Number(slot), key, value as number);
    return { results, rejected };
  }

  function recount(specValue: WindowSpec, pairs: Array<{ e: Ev; start: number }>) {
    const counts = new Map<string, number>();
    for (const { e, start } of pairs) counts.set(`${start}/${e.key}`, (counts.get(`${start}/${e.key}`) ?? 0) + e.value);
    return counts;
  }

  it('gives the brute-force recount, whatever the arrival order within lateness', () => {
    const lateness = 20;
    fc.assert(
      fc.property(spec, fc.array(fc.record({ e: event, jitter: fc.integer({ min: 0, max: lateness }) }), { maxLength: 60 }), (specValue, jittered) => {
        // Arrival order = event time + a delay of at most the lateness: every event is within bound.
        const arrival = [...jittered].sort((x, y) => x.e.t + x.jitter - (y.e.t + y.jitter)).map((x) => x.e);
        const inOrder = [...arrival].sort((x, y) => x.t - y.t);
        const shuffled = run(specValue, arrival, lateness);
        expect(shuffled.rejected).toEqual([]);
        expect(shuffled.results).toEqual(run(specValue, inOrder, lateness).results);
        const all = arrival.flatMap((e) => assignWindows(specValue, e.t).map((w) => ({ e, start: w.start })));
        expect(shuffled.results).toEqual(recount(specValue, all));
      }),
      propertyParams(),
    );
  });

  it('accounts for every event in any order: counted in its open windows, or rejected as late', () => {
    fc.assert(
      fc.property(spec, fc.array(event, { maxLength: 60 }), fc.integer({ min: 0, max: 30 }), (specValue, events, lateness) => {
        const { results, rejected } = run(specValue, events, lateness);
        // Reference model: the watermark after each arrival decides which windows still count.
        let watermark = -Infinity;
        const counted: Array<{ e: Ev; start: number }> = [];
        const expectedRejected: Ev[] = [];
        for (const e of events) {
          watermark = Math.max(watermark, e.t - lateness);
          const open = assignWindows(specValue, e.t).filter((w) => w.end > watermark);
          if (open.length === 0) expectedRejected.push(e);
          for (const w of open) counted.push({ e, start: w.start });
        }
        expect(rejected).toEqual(expectedRejected);
        expect(results).toEqual(recount(specValue, counted));
      }),
      propertyParams(),
    );
  });
});

function accept<K extends string, A>(r: AddResult<K, A>): WindowedAggregate<K, A> {
  if (!r.accepted) throw new Error(`event rejected as ${r.reason}`);
  return r.state;
}
