/**
 * Seed every property test uses in CI when FC_SEED is not given. Fixed so that CI is
 * deterministic: a generator bug then fails every run, never one in N.
 */
export const CI_PROPERTY_SEED = 20251201;

let chosen: { seed: number; source: string } | undefined;

/**
 * The seed of this test process's property tests (fast-check), chosen once:
 *   - FC_SEED when set (replays a failure: fast-check prints the seed and path it failed with),
 *   - CI_PROPERTY_SEED when CI=true,
 *   - otherwise a random seed, so local runs keep exploring new inputs.
 * It is printed on first use, so even a run whose failure output is lost can be replayed.
 */
export function propertySeed(env: NodeJS.ProcessEnv = process.env): number {
  if (!chosen) {
    chosen = chooseSeed(env);
    console.info(`fast-check seed ${chosen.seed} (${chosen.source}); replay with FC_SEED=${chosen.seed}`);
  }
  return chosen.seed;
}

/** Parameters for fc.assert with the process's seed: `fc.assert(property, propertyParams({ numRuns: 50 }))`. */
export function propertyParams<P extends object>(params: P = {} as P): P & { seed: number } {
  return { ...params, seed: propertySeed() };
}

/** Pure part of propertySeed, for its tests. */
export function chooseSeed(env: NodeJS.ProcessEnv): { seed: number; source: string } {
  const raw = env.FC_SEED?.trim();
  if (raw) {
    const seed = Number(raw);
    // A typo must not silently become another seed (Number('12a') is NaN, which fast-check would take).
    if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got "${raw}"`);
    return { seed, source: 'from FC_SEED' };
  }
  if (env.CI === 'true') return { seed: CI_PROPERTY_SEED, source: 'fixed for CI' };
  return { seed: (Math.random() * 2 ** 32) | 0, source: 'random' };
}
