import { DEFAULT_PARAMS, NO_TASTE, observe, RecommenderParams, Taste } from '../recommender/co-watch';
import { MemoryCounts } from '../recommender/memory-counts';
import { scoreCandidate } from '../recommender/scoring';
import { RatingRecord } from '../movielens';
import { metricsAt, rankAmong, sampleNegatives, seededRandom } from './sampling';

export interface EvaluationOptions {
  /** @default 1 */
  seed?: number;
  /** Negatives per user. @default 100 */
  negatives?: number;
  /** @default 10 */
  k?: number;
  params?: RecommenderParams;
  /** Told about progress now and then (phase, done, total). */
  onProgress?(phase: 'replay' | 'rank', done: number, total: number): void;
}

export interface ModelFigures {
  hr: number;
  ndcg: number;
}

export interface EvaluationResult {
  users: number;
  items: number;
  trainInteractions: number;
  ours: ModelFigures;
  topPop: ModelFigures;
}

/**
 * Leave-one-out with sampled negatives. Per user the latest interaction (ties: the later line)
 * is held out; the rest are replayed in timestamp order (ties: line order) through `observe`,
 * the processor's own fold; each held-out item is ranked among `negatives` items the user never
 * interacted with, the same negatives for our model and for TopPop.
 */
export function evaluateLeaveOneOut(records: readonly RatingRecord[], genresOf: (itemId: string) => readonly string[], o: EvaluationOptions = {}): EvaluationResult {
  const params = o.params ?? DEFAULT_PARAMS;
  const k = o.k ?? 10;
  const { heldOut, interacted, train } = splitLeaveOneOut(records);

  const counts = new MemoryCounts();
  const tastes = new Map<string, Taste>();
  train.forEach((r, i) => {
    const genres = genresOf(r.itemId);
    const { taste, delta } = observe(tastes.get(r.userId) ?? NO_TASTE, { itemId: r.itemId, at: r.at, genres }, params);
    tastes.set(r.userId, taste);
    counts.apply(delta, genres);
    if (i % 10_000 === 0) o.onProgress?.('replay', i, train.length);
  });
  o.onProgress?.('replay', train.length, train.length);

  const universe = [...new Set(records.map((r) => r.itemId))].sort();
  const random = seededRandom(o.seed ?? 1);
  const ours = { hr: 0, ndcg: 0 };
  const topPop = { hr: 0, ndcg: 0 };
  const users = [...heldOut.keys()].sort(byNumberThenText);
  users.forEach((user, i) => {
    const target = heldOut.get(user)!.itemId;
    const negatives = sampleNegatives(random, universe, interacted.get(user)!, o.negatives ?? 100);
    const taste = tastes.get(user) ?? NO_TASTE;
    const score = (item: string) => scoreCandidate(taste, item, counts, params).score;
    const oursRank = rankAmong(score(target), negatives.map(score));
    const popRank = rankAmong(counts.users(target), negatives.map((n) => counts.users(n)));
    add(ours, metricsAt(oursRank, k));
    add(topPop, metricsAt(popRank, k));
    if (i % 100 === 0) o.onProgress?.('rank', i, users.length);
  });
  o.onProgress?.('rank', users.length, users.length);
  const n = users.length || 1;
  return {
    users: users.length,
    items: universe.length,
    trainInteractions: train.length,
    ours: { hr: ours.hr / n, ndcg: ours.ndcg / n },
    topPop: { hr: topPop.hr / n, ndcg: topPop.ndcg / n },
  };
}

/**
 * Per user the interaction with the latest timestamp (ties: the later line) is held out; the
 * rest is the training stream in timestamp order (ties: line order).
 */
export function splitLeaveOneOut(records: readonly RatingRecord[]): { heldOut: Map<string, RatingRecord>; interacted: Map<string, Set<string>>; train: RatingRecord[] } {
  const heldOut = new Map<string, RatingRecord>();
  const interacted = new Map<string, Set<string>>();
  for (const r of records) {
    const h = heldOut.get(r.userId);
    if (!h || r.at > h.at || (r.at === h.at && r.line > h.line)) heldOut.set(r.userId, r);
    let set = interacted.get(r.userId);
    if (!set) interacted.set(r.userId, (set = new Set()));
    set.add(r.itemId);
  }
  const held = new Set([...heldOut.values()]);
  const train = records.filter((r) => !held.has(r)).sort((a, b) => a.at - b.at || a.line - b.line);
  return { heldOut, interacted, train };
}

function add(total: ModelFigures, m: { hit: number; ndcg: number }): void {
  total.hr += m.hit;
  total.ndcg += m.ndcg;
}

function byNumberThenText(a: string, b: string): number {
  return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
}
