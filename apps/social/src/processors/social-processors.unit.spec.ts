import { Delivery } from '@streamfold/projections';
import { deliveries } from '@streamfold/testing';
import { SocialEventType as T } from '../domain/social.events';
import { postsWithCountsProcessor as counts } from './posts-with-counts.processor';
import { trendingPostsProcessor as trending } from './trending-posts.processor';

const MIN = 60_000;
const like = (postId: string, at: string, type: string = T.PostLiked) =>
  deliveries([{ stream: `like-${postId}-u`, topic: 'likes', key: postId, at, event: { type, data: { postId, userId: 'u' } } }])[0];
const fold = <S>(p: { initialState(k: string): S; evolve(s: S, d: Delivery): S }, items: Delivery[]) => items.reduce(p.evolve, p.initialState('p1'));

describe('posts_with_counts processor', () => {
  it('folds a batch into one absolute-count event, and emits nothing when counts did not change', () => {
    const batch = [like('p1', '12:00'), like('p1', '12:01'), like('p1', '12:02', T.PostUnliked)];
    const after = fold(counts, batch);
    expect(counts.emit('p1', undefined, after, batch[2])).toEqual({
      type: 'social.PostCountsChanged',
      streamId: 'post-counts-p1',
      data: { postId: 'p1', likes: 1, comments: 0, deleted: false },
    });
    expect(counts.emit('p1', after, { ...after }, batch[2])).toBeNull();
  });
});

describe('trending_posts processor', () => {
  it('scores the hour of event time ending at the post watermark, and refuses events beyond the lateness bound', () => {
    const base = Date.parse('2025-01-01T12:00:00Z');
    const iso = (offsetMin: number) => new Date(base + offsetMin * MIN).toISOString();
    let state = fold(trending, [like('p1', iso(0)), like('p1', iso(30)), like('p1', iso(65))]);
    // Window (watermark − 1h, watermark] = (12:05, 13:05]: the 12:00 like has left it.
    expect(state.score).toBe(2);
    state = trending.evolve(state, like('p1', iso(58))); // 7 min behind: within the lateness bound
    expect(state.score).toBe(3);
    state = trending.evolve(state, like('p1', iso(40))); // 25 min behind: late, not counted
    expect(state).toMatchObject({ score: 3, late: 1 });
    expect(trending.emit('p1', undefined, state, like('p1', iso(40)))).toMatchObject({
      type: 'social.PostTrendingScoreChanged',
      data: { postId: 'p1', score: 3, windowEnd: iso(65) },
    });
  });
});
