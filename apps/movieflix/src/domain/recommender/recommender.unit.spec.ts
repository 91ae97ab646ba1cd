import { addAffinity, genreMatch, NO_AFFINITY } from '../genre-affinity';
import { metricsAt, rankAmong, sampleNegatives, seededRandom } from '../evaluation/sampling';
import { DEFAULT_PARAMS, NO_TASTE, observe, RecommenderParams, Taste } from './co-watch';
import { MemoryCounts } from './memory-counts';
import { recommend, scoreCandidate } from './scoring';

const DAY = 24 * 3600 * 1000;
const params: RecommenderParams = { ...DEFAULT_PARAMS, pairWindow: 2, pairDecay: 0.5, historyWindow: 2, historyDecay: 0.5, alpha: 0.5, genreWeight: 0, popularityWeight: 0 };

/** Replays (user, item) interactions one day apart through observe, as the processor does. */
function replay(history: Array<[string, string]>, p = params) {
  const counts = new MemoryCounts();
  const tastes = new Map<string, Taste>();
  history.forEach(([user, item], i) => {
    const { taste, delta } = observe(tastes.get(user) ?? NO_TASTE, { itemId: item, at: i * DAY, genres: [] }, p);
    tastes.set(user, taste);
    counts.apply(delta);
  });
  return { counts, tastes };
}

describe('co-watch model', () => {
  it('pairs a new item with the latest items, decayed by distance, in both directions', () => {
    const { counts } = replay([['u', 'a'], ['u', 'b'], ['u', 'c'], ['u', 'd']]);
    expect(counts.pair('c', 'd')).toBe(1);
    expect(counts.pair('d', 'b')).toBe(0.5);
    expect(counts.pair('a', 'd')).toBe(0); // beyond the pair window of 2
    expect(counts.users('a')).toBe(1);
  });

  it('never writes into the shared empty taste', () => {
    replay([['u', 'a'], ['v', 'b']]);
    expect(NO_TASTE.seen).toEqual({});
    expect(Object.isFrozen(NO_TASTE.seen)).toBe(true);
  });

  it('counts a re-watch once: no new user, no new pairs, but it becomes the latest item', () => {
    const { counts, tastes } = replay([['u', 'a'], ['u', 'b'], ['u', 'a']]);
    expect(counts.users('a')).toBe(1);
    expect(counts.pair('a', 'b')).toBe(1);
    expect(tastes.get('u')!.recent).toEqual(['a', 'b']);
  });

  it('scores by the cosine of co-watch with the history, recency-weighted, and explains the top vote', () => {
    // Two users watched x after a; one watched y after a; b is unrelated.
    const { counts, tastes } = replay([['v', 'a'], ['v', 'x'], ['w', 'a'], ['w', 'x'], ['w', 'y'], ['z', 'b'], ['u', 'b'], ['u', 'a']]);
    const u = tastes.get('u')!;
    const x = scoreCandidate(u, 'x', counts, params);
    // sim(a, x) = pair(a,x) / sqrt(users(a) · users(x)) = (1 + 1) / sqrt(3 · 2); a is the latest item (weight 1).
    expect(x.score).toBeCloseTo(2 / Math.sqrt(6), 10);
    expect(x.reason).toEqual({ kind: 'because-you-watched', videoId: 'a' });
    const y = scoreCandidate(u, 'y', counts, params);
    expect(y.score).toBeCloseTo(0.5 / Math.sqrt(3 * 1), 10); // y was 2 steps after a for w
    expect(recommend(u, ['y', 'x', 'a', 'b'], counts, 10, params).map((s) => s.videoId)).toEqual(['x', 'y']); // a and b seen
  });

  it('ranks by genre affinity and popularity when there is no co-watch (cold start), saying why', () => {
    const p = { ...params, genreWeight: 1, popularityWeight: 0.1 };
    const counts = new MemoryCounts();
    for (const [item, genres, users] of [['c1', ['Comedy'], 3], ['d1', ['Drama'], 5], ['c2', ['Comedy'], 1]] as const) {
      for (let i = 0; i < users; i++) counts.apply({ newUser: true, itemId: item, pairs: [] }, genres);
    }
    const fan: Taste = { ...NO_TASTE, affinity: addAffinity(NO_AFFINITY, ['Comedy'], 0) };
    const ranked = recommend(fan, ['d1', 'c2', 'c1'], counts, 10, p);
    expect(ranked.map((s) => s.videoId)).toEqual(['c1', 'c2', 'd1']);
    expect(ranked[0].reason).toEqual({ kind: 'popular-in-genre', genre: 'Comedy' });
    expect(recommend(NO_TASTE, ['c2', 'd1', 'c1'], counts, 10, p).map((s) => s.videoId)).toEqual(['d1', 'c1', 'c2']);
  });
});

describe('genre affinity decayed by event time', () => {
  it('halves per half-life and does not depend on arrival order', () => {
    const half = 30 * DAY;
    const inOrder = addAffinity(addAffinity(NO_AFFINITY, ['Drama'], 0), ['Comedy'], half);
    const late = addAffinity(addAffinity(NO_AFFINITY, ['Comedy'], half), ['Drama'], 0);
    expect(inOrder.weights).toEqual({ Drama: 0.5, Comedy: 1 });
    expect(late.weights.Drama).toBeCloseTo(0.5, 12);
    expect(late.asOf).toBe(half);
    expect(genreMatch(inOrder, ['Comedy'])).toBeCloseTo(2 / 3, 12);
  });
});

describe('evaluation protocol', () => {
  it('counts ties against the model and scores hits at 10', () => {
    expect(rankAmong(0.5, [0.1, 0.5, 0.9])).toBe(3);
    expect(metricsAt(1)).toEqual({ hit: 1, ndcg: 1 });
    expect(metricsAt(3).ndcg).toBeCloseTo(0.5, 12);
    expect(metricsAt(11)).toEqual({ hit: 0, ndcg: 0 });
  });

  it('samples distinct never-interacted items, reproducibly from the seed', () => {
    const universe = Array.from({ length: 50 }, (_, i) => `i${i}`);
    const seen = new Set(['i1', 'i2', 'i3']);
    const a = sampleNegatives(seededRandom(1), universe, seen, 20);
    expect(new Set(a).size).toBe(20);
    expect(a.some((i) => seen.has(i))).toBe(false);
    expect(sampleNegatives(seededRandom(1), universe, seen, 20)).toEqual(a);
    expect(sampleNegatives(seededRandom(2), universe, seen, 20)).not.toEqual(a);
  });
});
