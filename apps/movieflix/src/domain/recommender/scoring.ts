import { genreMatch } from '../genre-affinity';
import { DEFAULT_PARAMS, RecommenderParams, Taste } from './co-watch';

/**
 * Read access to the shared counts. The processor answers from rows it loaded for the batch
 * (PostgreSQL); evaluation answers from memory. A pair the source does not know weighs 0.
 */
export interface CoWatchCounts {
  /** Distinct users who interacted with the item. */
  users(itemId: string): number;
  /** Co-watch weight of two items (symmetric). */
  pair(a: string, b: string): number;
  /** Users of the most popular item: scales the popularity prior to [0, 1]. */
  maxUsers(): number;
  genres(itemId: string): readonly string[];
}

export type Reason = { kind: 'because-you-watched'; videoId: string } | { kind: 'popular-in-genre'; genre: string } | { kind: 'popular' };

export interface Scored {
  videoId: string;
  score: number;
  reason: Reason;
}

/**
 * score(c) = Σ_r historyDecay^r · sim(h_r, c)  +  genreWeight · match(affinity, genres(c))
 *          + popularityWeight · log(1 + users(c)) / log(1 + maxUsers)
 * over the user's latest items h_0 (latest), h_1 …; sim is an asymmetric cosine (see alpha).
 * The reason is the history item with the largest vote, else the user's best matching genre.
 */
export function scoreCandidate(taste: Taste, candidate: string, counts: CoWatchCounts, params: RecommenderParams = DEFAULT_PARAMS): Scored {
  const cUsers = counts.users(candidate);
  let coWatch = 0;
  let best: { videoId: string; vote: number } | null = null;
  if (cUsers > 0) {
    const cNorm = Math.pow(cUsers, params.alpha);
    const history = taste.recent.slice(0, params.historyWindow);
    for (let r = 0; r < history.length; r++) {
      const h = history[r];
      const p = counts.pair(h, candidate);
      if (p <= 0) continue;
      const vote = (Math.pow(params.historyDecay, r) * p) / (Math.pow(Math.max(1, counts.users(h)), 1 - params.alpha) * cNorm);
      coWatch += vote;
      if (!best || vote > best.vote) best = { videoId: h, vote };
    }
  }
  const genres = counts.genres(candidate);
  const match = genreMatch(taste.affinity, genres);
  const maxUsers = counts.maxUsers();
  const popularity = maxUsers > 0 ? Math.log1p(cUsers) / Math.log1p(maxUsers) : 0;
  const score = coWatch + params.genreWeight * match + params.popularityWeight * popularity;
  return { videoId: candidate, score, reason: best ? { kind: 'because-you-watched', videoId: best.videoId } : genreReason(taste, genres) };
}

function genreReason(taste: Taste, genres: readonly string[]): Reason {
  let top: { genre: string; w: number } | null = null;
  for (const g of genres) {
    const w = taste.affinity.weights[g] ?? 0;
    if (w > 0 && (!top || w > top.w || (w === top.w && g < top.genre))) top = { genre: g, w };
  }
  return top ? { kind: 'popular-in-genre', genre: top.genre } : { kind: 'popular' };
}

/**
 * The top `limit` of the candidates the user has not seen, best first; ties go to the smaller
 * id so the list is deterministic (a replay emits the same recommendations).
 */
export function recommend(taste: Taste, candidates: Iterable<string>, counts: CoWatchCounts, limit = 10, params: RecommenderParams = DEFAULT_PARAMS): Scored[] {
  const scored: Scored[] = [];
  const done = new Set<string>();
  for (const c of candidates) {
    if (done.has(c) || taste.seen[c] !== undefined) continue;
    done.add(c);
    scored.push(scoreCandidate(taste, c, counts, params));
  }
  return scored.sort((a, b) => b.score - a.score || (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0)).slice(0, limit);
}
