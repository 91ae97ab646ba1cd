import { evaluate, emptyRegion, foldSurge, DEFAULT_SURGE_RULES as R, smoothingTargets, surgeTenths, surgeToEmit } from './surge';
import { surgeRegion } from './geo';
import { gridDistance } from 'h3-js';

describe('surge per region', () => {
  const T0 = Date.parse('2026-03-02T18:00:00Z');

  it('is (demand + 1) / (supply + 1) in tenths, capped to 1.0–3.0', () => {
    expect(surgeTenths(0, 0, R)).toBe(10);
    expect(surgeTenths(5, 10, R)).toBe(10);
    expect(surgeTenths(11, 5, R)).toBe(20);
    expect(surgeTenths(100, 0, R)).toBe(30);
  });

  it('counts requests and free drivers only inside the event-time window, late inputs apart', () => {
    let s = emptyRegion(R);
    s = foldSurge(s, { kind: 'driver', taxiId: 't1', available: true, atMs: T0, weight: 1 }, R);
    for (let i = 0; i < 5; i++) s = foldSurge(s, { kind: 'request', atMs: T0 + i * 1000, weight: 1 }, R);
    expect(evaluate(s, R)).toEqual({ demand: 5, supply: 1, tenths: 30 });
    // Six minutes later the old requests and the driver fell out of the 5-minute window.
    s = foldSurge(s, { kind: 'request', atMs: T0 + 360_000, weight: 1 }, R);
    expect(evaluate(s, R)).toMatchObject({ demand: 1, supply: 0 });
    // An input behind the lateness bound is counted as late, not folded.
    const late = foldSurge(s, { kind: 'request', atMs: T0, weight: 1 }, R);
    expect(late.late).toBe(1);
    expect(evaluate(late, R).demand).toBe(1);
  });

  it('a driver who reports busy stops counting as supply', () => {
    let s = foldSurge(emptyRegion(R), { kind: 'driver', taxiId: 't1', available: true, atMs: T0, weight: 1 }, R);
    s = foldSurge(s, { kind: 'driver', taxiId: 't1', available: false, atMs: T0 + 1000, weight: 1 }, R);
    expect(evaluate(s, R).supply).toBe(0);
  });

  it('smooths over the six neighbours: a request weighs 1 at home and 0.5 next door', () => {
    const home = surgeRegion({ lat: 48.8566, lng: 2.3522 });
    const targets = smoothingTargets(home, R);
    expect(targets).toHaveLength(7);
    expect(targets.filter((t) => t.weight === 1).map((t) => t.region)).toEqual([home]);
    expect(targets.every((t) => gridDistance(home, t.region) <= 1)).toBe(true);
  });

  it('emits only when the multiplier moved by at least 0.1', () => {
    let s = emptyRegion(R);
    s = foldSurge(s, { kind: 'request', atMs: T0, weight: 0.5 }, R);
    expect(surgeToEmit(s, R)).toEqual({ demand: 0.5, supply: 0, tenths: 15 }); // (0.5 + 1) / 1: moved by 0.5
    s = { ...s, tenths: 15 };
    s = foldSurge(s, { kind: 'driver', taxiId: 't', available: true, atMs: T0, weight: 0.01 }, R);
    expect(evaluate(s, R).supply).toBe(0.01);
    expect(surgeToEmit(s, R)).toBeNull(); // 1.5 / 1.01 still rounds to 15 tenths
  });
});
