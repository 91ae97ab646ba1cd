import type { Pool } from 'pg';
import { SocialEventType as T } from '../apps/social/src/domain/social.events';
import { COMMENT_WEIGHT } from '../apps/social/src/domain/trending';

const SOCIAL: string[] = Object.values(T);
const BUCKET_MS = 60_000;
/** Points of an event in the trending score (likes 1, comments COMMENT_WEIGHT), as the app defines it. */
const POINTS: Record<string, number> = { [T.PostLiked]: 1, [T.PostUnliked]: -1, [T.CommentAdded]: COMMENT_WEIGHT, [T.CommentDeleted]: -COMMENT_WEIGHT };

export interface StoredEvent {
  event_id: string;
  stream_id: string;
  type: string;
  data: Record<string, any>;
  occurred_at: Date;
}

/**
 * One post as the event store says it is, written here from the events' meaning rather than
 * imported from the app, so a bug in the app's projections cannot hide in its own fold.
 */
export interface PostFold {
  authorId: string | null;
  text: string | null;
  createdAt: number | null;
  deletedAt: number | null;
  likes: number;
  comments: number;
  /** Latest event time of any of the post's events (social_posts.last_activity_at). */
  lastActivityAt: number;
  /** Latest event time of its likes and comments (the trending processor's watermark). */
  watermark: number | null;
  /** Trending points per one-minute bucket start (ms). */
  points: Map<number, number>;
}

export interface StoreFold {
  events: StoredEvent[];
  posts: Map<string, PostFold>;
  /** `${postId}@${bucketMs}` -> likes and comments of that minute (social_trending). */
  buckets: Map<string, { likes: number; comments: number }>;
  storedByType: Record<string, number>;
  duplicateEventIds: number;
}

/** Reads sf_events in the relay's order and folds the social events per post from scratch. */
export async function foldStore(db: Pool): Promise<StoreFold> {
  const { rows: events } = await db.query<StoredEvent>(
    `SELECT event_id::text, stream_id, type, data, occurred_at FROM sf_events ORDER BY tx_id, global_position`,
  );
  const storedByType: Record<string, number> = {};
  const ids = new Set<string>();
  let duplicateEventIds = 0;
  const posts = new Map<string, PostFold>();
  const buckets = new Map<string, { likes: number; comments: number }>();
  for (const e of events) {
    storedByType[e.type] = (storedByType[e.type] ?? 0) + 1;
    if (ids.has(e.event_id)) duplicateEventIds++;
    ids.add(e.event_id);
    const postId = e.data?.postId as string | undefined;
    if (!SOCIAL.includes(e.type) || !postId) continue;
    const at = e.occurred_at.getTime();
    const f = posts.get(postId) ?? { authorId: null, text: null, createdAt: null, deletedAt: null, likes: 0, comments: 0, lastActivityAt: at, watermark: null, points: new Map() };
    f.lastActivityAt = Math.max(f.lastActivityAt, at);
    switch (e.type) {
      case T.PostCreated:
        Object.assign(f, { authorId: e.data.authorId, text: e.data.text, createdAt: at });
        break;
      case T.PostDeleted:
        f.deletedAt = f.deletedAt === null ? at : Math.min(f.deletedAt, at);
        break;
      default: {
        const bucket = Math.floor(at / BUCKET_MS) * BUCKET_MS;
        const b = buckets.get(`${postId}@${bucket}`) ?? { likes: 0, comments: 0 };
        if (e.type === T.PostLiked) (f.likes++, b.likes++);
        if (e.type === T.PostUnliked) (f.likes--, b.likes--);
        if (e.type === T.CommentAdded) (f.comments++, b.comments++);
        if (e.type === T.CommentDeleted) (f.comments--, b.comments--);
        buckets.set(`${postId}@${bucket}`, b);
        f.points.set(bucket, (f.points.get(bucket) ?? 0) + POINTS[e.type]);
        f.watermark = Math.max(f.watermark ?? at, at);
      }
    }
    posts.set(postId, f);
  }
  return { events, posts, buckets, storedByType, duplicateEventIds };
}

/** Trending score of a post: every event of a run lies inside the one-hour window. */
export const scoreOf = (f: PostFold): number => [...f.points.values()].reduce((a, b) => a + b, 0);
