/** mulberry32: a tiny seeded generator, so `--seed` reproduces the same negatives anywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` distinct items of `universe` not in `exclude`, each equally likely (rejection sampling;
 * falls back to all eligible items when fewer than n remain).
 */
export function sampleNegatives(random: () => number, universe: readonly string[], exclude: ReadonlySet<string>, n: number): string[] {
  const eligible = universe.length - [...exclude].filter((i) => universeHas(universe, i)).length;
  if (eligible <= n) return universe.filter((i) => !exclude.has(i));
  const picked = new Set<string>();
  while (picked.size < n) {
    const item = universe[Math.floor(random() * universe.length)];
    if (!exclude.has(item)) picked.add(item);
  }
  return [...picked];
}

const lookup = new WeakMap<readonly string[], Set<string>>();
function universeHas(universe: readonly string[], item: string): boolean {
  let set = lookup.get(universe);
  if (!set) lookup.set(universe, (set = new Set(universe)));
  return set.has(item);
}

/** 1 + number of negatives scoring at least the held-out item's score: ties count against the model. */
export function rankAmong(heldOut: number, negatives: readonly number[]): number {
  let rank = 1;
  for (const s of negatives) if (s >= heldOut) rank++;
  return rank;
}

/** Hit ratio and NDCG at k for one ranked held-out item. */
export function metricsAt(rank: number, k = 10): { hit: number; ndcg: number } {
  return rank <= k ? { hit: 1, ndcg: 1 / Math.log2(rank + 1) } : { hit: 0, ndcg: 0 };
}
