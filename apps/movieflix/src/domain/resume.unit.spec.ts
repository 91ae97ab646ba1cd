import fc from 'fast-check';
import { ValidationFailed } from '@streamfold/core';
import { propertyParams } from '@streamfold/testing';
import { laterPoint, ResumePoint, validateHeartbeats } from './resume';

const T0 = Date.parse('2026-12-01T20:00:00Z');
const at = (s: number) => T0 + s * 1000;
const point = (positionSec: number, device: string, s: number): ResumePoint => ({ positionSec, durationSec: 6000, device, occurredAt: at(s) });
const fold = (points: ResumePoint[]) => points.reduce<ResumePoint | undefined>(laterPoint, undefined);

describe('resume rule', () => {
  it('keeps the latest by event time across two devices, whatever arrives late or twice', () => {
    // Phone watches 0–40 s of event time, then the TV takes over and seeks back to 25 s.
    const phone = [point(100, 'phone', 0), point(110, 'phone', 10), point(120, 'phone', 20), point(130, 'phone', 30)];
    const tv = [point(125, 'tv', 40), point(135, 'tv', 50)];
    const arrival = [tv[1], phone[0], tv[0], phone[3], phone[3], tv[1], phone[1], phone[2], tv[0]];
    expect(fold(arrival)).toEqual(tv[1]);
    // A late phone heartbeat (event time before the TV's last one) never moves it back.
    expect(fold([...arrival, point(4000, 'phone', 45)])).toEqual(tv[1]);
  });

  it('breaks equal event times by position, then device, so order never matters', () => {
    const a = point(100, 'phone', 10);
    const b = point(90, 'tv', 10);
    const c = point(100, 'tv', 10);
    expect(fold([a, b, c])).toEqual(c);
    expect(fold([c, b, a])).toEqual(c);
  });

  it('gives the maximum of (event time, position, device) for any arrival order with duplicates', () => {
    const arb = fc.array(fc.record({ p: fc.integer({ min: 0, max: 50 }), d: fc.constantFrom('tv', 'phone'), s: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(arb, fc.array(fc.nat()), fc.array(fc.double({ noNaN: true }), { minLength: 80, maxLength: 80 }), (raw, picks, keys) => {
        const points = raw.map((r) => point(r.p, r.d, r.s));
        // Duplicates of some points, then everything shuffled by the generated keys.
        const sent = [...points, ...picks.slice(0, 40).map((i) => points[i % points.length])];
        const arrival = sent.map((p, i) => ({ p, k: keys[i] })).sort((x, y) => x.k - y.k).map((x) => x.p);
        const best = [...points].sort((x, y) => y.occurredAt - x.occurredAt || y.positionSec - x.positionSec || (y.device > x.device ? 1 : y.device < x.device ? -1 : 0))[0];
        expect(fold(arrival)).toEqual(best);
      }),
      propertyParams({ numRuns: 200 }),
    );
  });
});

describe('heartbeat validation', () => {
  const ok = { videoId: '1', positionSec: 10, durationSec: 100, device: 'tv', occurredAt: '2026-12-01T20:00:00Z' };
  const check = (batch: unknown) => validateHeartbeats(batch, (id) => id === '1', T0);

  it('accepts a batch and normalises event times', () => {
    expect(check([ok])).toEqual([{ ...ok, occurredAt: '2026-12-01T20:00:00.000Z' }]);
  });

  it.each([
    [[], 'heartbeats'],
    [[ok, { ...ok, videoId: '99' }], 'heartbeats[1].videoId'],
    [[{ ...ok, positionSec: 101 }], 'heartbeats[0].positionSec'],
    [[{ ...ok, positionSec: '5' }], 'heartbeats[0].positionSec'],
    [[{ ...ok, durationSec: -1 }], 'heartbeats[0].durationSec'],
    [[{ ...ok, device: '' }], 'heartbeats[0].device'],
    [[{ ...ok, occurredAt: 'yesterday' }], 'heartbeats[0].occurredAt'],
    [[{ ...ok, occurredAt: '2026-12-01T21:00:00Z' }], 'heartbeats[0].occurredAt'],
  ])('refuses a whole batch naming the bad field (%#)', (batch, field) => {
    expect(() => check(batch)).toThrow(ValidationFailed);
    try {
      check(batch);
    } catch (e) {
      expect((e as ValidationFailed).field).toBe(field);
    }
  });
});
