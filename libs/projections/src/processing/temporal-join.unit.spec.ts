import fc from 'fast-check';
import { propertyParams } from '@streamfold/testing';
import { emptyTemporalTable, lookup, pruneBefore, TemporalTable, upsert } from './temporal-join';

const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00.000Z`);

describe('temporal table', () => {
  it('answers with the version in force at the event time, inclusive of its start', () => {
    let t = emptyTemporalTable<string>();
    t = upsert(t, 'u1', '1000', at('10:00'));
    t = upsert(t, 'u1', '2000', at('11:00'));
    expect(lookup(t, 'u1', at('09:59'))).toBeUndefined();
    expect(lookup(t, 'u1', at('10:00'))).toBe('1000');
    expect(lookup(t, 'u1', at('10:59'))).toBe('1000');
    expect(lookup(t, 'u1', at('11:00'))).toBe('2000');
    expect(lookup(t, 'u2', at('11:00'))).toBeUndefined();
  });

  it('never applies a changed threshold to transactions that happened before the change', () => {
    let t = upsert(emptyTemporalTable<string>(), 'u1', '1000', at('10:00'));
    const before = lookup(t, 'u1', at('10:30'));
    t = upsert(t, 'u1', '50', at('10:45'));
    expect(lookup(t, 'u1', at('10:30'))).toBe(before);
    expect(lookup(t, 'u1', at('10:45'))).toBe('50');
  });

  it('places an out-of-order version between the versions it falls between', () => {
    let t = emptyTemporalTable<string>();
    t = upsert(t, 'u1', 'c', at('12:00'));
    t = upsert(t, 'u1', 'a', at('10:00'));
    t = upsert(t, 'u1', 'b', at('11:00'));
    expect(t.versions.u1.map((v) => v.value)).toEqual(['a', 'b', 'c']);
    expect(lookup(t, 'u1', at('11:30'))).toBe('b');
  });

  it('replaces a version with the same start, so a redelivered change is idempotent', () => {
    let t = upsert(emptyTemporalTable<string>(), 'u1', '1000', at('10:00'));
    const again = upsert(t, 'u1', '1000', at('10:00'));
    expect(again).toEqual(t);
    t = upsert(t, 'u1', '1500', at('10:00'));
    expect(t.versions.u1).toEqual([{ validFromMs: at('10:00'), value: '1500' }]);
  });

  it('does not mutate the table it was given', () => {
    const t = upsert(emptyTemporalTable<string>(), 'u1', '1000', at('10:00'));
    const snapshot = JSON.stringify(t);
    upsert(t, 'u1', '2000', at('09:00'));
    pruneBefore(t, at('12:00'));
    expect(JSON.stringify(t)).toBe(snapshot);
  });

  it('prunes versions superseded before the horizon, keeping the one in force there', () => {
    let t = emptyTemporalTable<string>();
    for (const [v, hhmm] of [['a', '08:00'], ['b', '09:00'], ['c', '10:00'], ['d', '12:00']] as const) t = upsert(t, 'u1', v, at(hhmm));
    const pruned = pruneBefore(t, at('11:00'));
    expect(pruned.versions.u1.map((v) => v.value)).toEqual(['c', 'd']);
    expect(lookup(pruned, 'u1', at('11:00'))).toBe('c');
    expect(lookup(pruned, 'u1', at('12:30'))).toBe('d');
    expect(() => lookup(pruned, 'u1', at('09:30'))).toThrow(/retention horizon/);
  });

  it('survives a JSON round trip (it lives in a jsonb column)', () => {
    const t = pruneBefore(upsert(upsert(emptyTemporalTable<number>(), 'u1', 1, at('10:00')), 'u1', 2, at('11:00')), at('10:30'));
    const revived = JSON.parse(JSON.stringify(t)) as TemporalTable<number>;
    expect(revived).toEqual(t);
    expect(lookup(revived, 'u1', at('10:45'))).toBe(1);
  });

  it('answers like a scan of every version, whatever order the versions arrive in', () => {
    const version = fc.record({ validFromMs: fc.integer({ min: 0, max: 100 }), value: fc.integer() });
    fc.assert(
      fc.property(fc.uniqueArray(version, { selector: (v) => v.validFromMs, maxLength: 20 }), fc.integer({ min: -5, max: 105 }), (versions, probe) => {
        const table = versions.reduce((t, v) => upsert(t, 'k', v.value, v.validFromMs), emptyTemporalTable<number>());
        const inForce = versions.filter((v) => v.validFromMs <= probe).sort((a, b) => b.validFromMs - a.validFromMs)[0];
        expect(lookup(table, 'k', probe)).toBe(inForce?.value);
      }),
      propertyParams(),
    );
  });
});
