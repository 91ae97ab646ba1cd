import { gridDisk } from 'h3-js';

/** Surge per region, in tenths: 10 = ×1.0. */
export interface SurgeRules {
  /** Event-time window of demand and supply. @default 300_000 (5 min) */
  windowMs: number;
  /** Events older than the region's newest minus this are late: counted, not folded. @default 60_000 */
  allowedLatenessMs: number;
  minTenths: number;
  maxTenths: number;
  /** Emit only when the multiplier moved by at least this many tenths. @default 1 (0.1) */
  stepTenths: number;
  /** Weight of a neighbour cell's requests and drivers in a region's figures (the cell's own weigh 1). @default 0.5 */
  neighbourWeight: number;
}

export const DEFAULT_SURGE_RULES: SurgeRules = { windowMs: 300_000, allowedLatenessMs: 60_000, minTenths: 10, maxTenths: 30, stepTenths: 1, neighbourWeight: 0.5 };

/**
 * Smoothing by scattering: a request (or a free driver) in cell C weighs 1 in C and
 * neighbourWeight in each of C's six neighbours, so a region's figures are a weighted sum over
 * itself and its ring. Each event touches seven keys, and each key's state stays its own.
 */
export function smoothingTargets(region: string, rules: SurgeRules): Array<{ region: string; weight: number }> {
  return ringOf(region).map((cell) => ({ region: cell, weight: cell === region ? 1 : rules.neighbourWeight }));
}

// A city has a few hundred regions and every position asks for its ring: remember them (bounded).
const rings = new Map<string, string[]>();
function ringOf(region: string): string[] {
  let ring = rings.get(region);
  if (!ring) {
    if (rings.size >= 10_000) rings.clear();
    rings.set(region, (ring = gridDisk(region, 1)));
  }
  return ring;
}

/** ratio = (demand + 1) / (supply + 1), capped; the +1 keeps an empty cell at ×1.0 and damps tiny counts. */
export function surgeTenths(demand: number, supply: number, rules: SurgeRules): number {
  const ratio = (demand + 1) / (supply + 1);
  return Math.min(rules.maxTenths, Math.max(rules.minTenths, Math.round(ratio * 10)));
}

/** Per-region state of the surge processor (JSON, kept in sf_processor_state). */
export interface RegionSurge {
  /** Newest event time folded for this region. */
  watermarkMs: number;
  /** [event time, weight] of ride requests inside the window. */
  demand: Array<[number, number]>;
  /** Free taxi id → [last event time seen free here, weight]. */
  supply: Record<string, [number, number]>;
  /** Last emitted multiplier. */
  tenths: number;
  late: number;
}

export const emptyRegion = (rules: SurgeRules): RegionSurge => ({ watermarkMs: 0, demand: [], supply: {}, tenths: rules.minTenths, late: 0 });

export type SurgeInput = { kind: 'request'; atMs: number; weight: number } | { kind: 'driver'; atMs: number; weight: number; taxiId: string; available: boolean };

/** Folds one weighted input into a region; pure (the input state is untouched). */
export function foldSurge(state: RegionSurge, input: SurgeInput, rules: SurgeRules): RegionSurge {
  const copy: RegionSurge = { ...state, demand: [...state.demand], supply: { ...state.supply } };
  foldSurgeInPlace(copy, input, rules);
  return pruneSurge(copy, rules);
}

/**
 * The same fold, mutating `state`: a batch folds thousands of positions into a few regions, and
 * copying a region's arrays per input made the processor quadratic in the region's size. Call
 * pruneSurge once after the batch; evaluate() ignores what fell out of the window meanwhile.
 */
export function foldSurgeInPlace(state: RegionSurge, input: SurgeInput, rules: SurgeRules): void {
  if (input.atMs < state.watermarkMs - rules.allowedLatenessMs) {
    state.late++;
    return;
  }
  state.watermarkMs = Math.max(state.watermarkMs, input.atMs);
  if (input.kind === 'request') {
    state.demand.push([input.atMs, input.weight]);
    return;
  }
  // The taxi's newest report decides: a driver who took a ride stops counting as supply.
  if (input.atMs < (state.supply[input.taxiId]?.[0] ?? -Infinity)) return;
  if (input.available) state.supply[input.taxiId] = [input.atMs, input.weight];
  else delete state.supply[input.taxiId];
}

/** Drops what is outside the window ending at the watermark (bounds the state). */
export function pruneSurge(state: RegionSurge, rules: SurgeRules): RegionSurge {
  const horizon = state.watermarkMs - rules.windowMs;
  state.demand = state.demand.filter(([at]) => at > horizon);
  for (const [id, [at]] of Object.entries(state.supply)) if (at <= horizon) delete state.supply[id];
  return state;
}

/** Demand and supply in the window ending at the region's watermark, and the multiplier they give. */
export function evaluate(state: RegionSurge, rules: SurgeRules): { demand: number; supply: number; tenths: number } {
  const horizon = state.watermarkMs - rules.windowMs;
  const demand = state.demand.reduce((s, [at, w]) => (at > horizon ? s + w : s), 0);
  const supply = Object.values(state.supply).reduce((s, [at, w]) => (at > horizon ? s + w : s), 0);
  return { demand, supply, tenths: surgeTenths(demand, supply, rules) };
}

/** The multiplier to publish, or null when it moved by less than one step from the last one. */
export function surgeToEmit(state: RegionSurge, rules: SurgeRules): { demand: number; supply: number; tenths: number } | null {
  const now = evaluate(state, rules);
  return Math.abs(now.tenths - state.tenths) >= rules.stepTenths ? now : null;
}
