/**
 * Genre affinity decayed by event time: each interaction adds weight to its genres, and every
 * weight halves per half-life of event time. Stored as the weights at `asOf` (the latest event
 * time seen), so an event older than asOf is discounted instead of rewinding the clock: the
 * result does not depend on arrival order (up to float rounding), which keeps replays equal.
 * The profile read model and the recommender both call this one fold.
 */
export interface GenreAffinity {
  /** Event time (epoch ms) the weights are expressed at (that of the latest interaction). */
  asOf: number;
  weights: Record<string, number>;
}

/** 30 days: last month's taste counts twice as much as the month before. */
export const GENRE_HALF_LIFE_MS = 30 * 24 * 3600 * 1000;

export const NO_AFFINITY: GenreAffinity = { asOf: 0, weights: {} };

/** Adds `weight` spread over `genres` at event time `at` (epoch ms). */
export function addAffinity(a: GenreAffinity, genres: readonly string[], at: number, weight = 1, halfLifeMs = GENRE_HALF_LIFE_MS): GenreAffinity {
  if (genres.length === 0 || weight === 0) return a.asOf >= at ? a : rescale(a, at, halfLifeMs);
  const base = a.asOf >= at ? a : rescale(a, at, halfLifeMs);
  const discount = at < base.asOf ? Math.pow(0.5, (base.asOf - at) / halfLifeMs) : 1;
  const weights = { ...base.weights };
  const share = (weight * discount) / genres.length;
  for (const g of genres) weights[g] = (weights[g] ?? 0) + share;
  return { asOf: base.asOf, weights };
}

function rescale(a: GenreAffinity, to: number, halfLifeMs: number): GenreAffinity {
  const factor = Math.pow(0.5, (to - a.asOf) / halfLifeMs);
  const weights: Record<string, number> = {};
  for (const [g, w] of Object.entries(a.weights)) weights[g] = w * factor;
  return { asOf: to, weights };
}

/** Shares that sum to 1 (rounded to 4 decimals for display), strongest first. */
export function normalisedAffinity(a: GenreAffinity): Array<{ genre: string; share: number }> {
  const total = Object.values(a.weights).reduce((s, w) => s + w, 0);
  if (total <= 0) return [];
  return Object.entries(a.weights)
    .map(([genre, w]) => ({ genre, share: Math.round((w / total) * 10_000) / 10_000 }))
    .sort((x, y) => y.share - x.share || x.genre.localeCompare(y.genre));
}

/** How well an item's genres match the affinity: mean share of its genres, in [0, 1]. */
export function genreMatch(a: GenreAffinity, genres: readonly string[]): number {
  if (genres.length === 0) return 0;
  let total = 0;
  for (const w of Object.values(a.weights)) total += w;
  if (total <= 0) return 0;
  let sum = 0;
  for (const g of genres) sum += a.weights[g] ?? 0;
  return sum / total / genres.length;
}
