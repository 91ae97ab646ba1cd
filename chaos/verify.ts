import type { Pool } from 'pg';
import { SocialEventType } from '../apps/social/src/domain/social.events';
import { PostCountsChanged } from '../apps/social/src/processors/posts-with-counts.processor';
import { PostTrendingScoreChanged } from '../apps/social/src/processors/trending-posts.processor';
import { auditTopic, readTopics } from './kafka-read';
import { Ledger } from './workload';

const T = { ...SocialEventType, PostCountsChanged, PostTrendingScoreChanged };
const SOCIAL: string[] = Object.values(SocialEventType);
/** Topics whose every message must be there: relay output of every stored event of these types. */
const COMPLETE_TOPICS: Record<string, string[]> = {
  posts: [T.PostCreated, T.PostDeleted],
  likes: [T.PostLiked, T.PostUnliked],
  comments: [T.CommentAdded, T.CommentDeleted],
  trending_posts: [T.PostTrendingScoreChanged],
};
const COMMENT_WEIGHT = 2;
const BUCKET_MS = 60_000;

/** Shortfall (below the fold: lost) and surplus (above the fold: counted twice) of one read model. */
export interface Diff {
  compared: number;
  short: number;
  surplus: number;
  examples: string[];
}
const diff = (): Diff => ({ compared: 0, short: 0, surplus: 0, examples: [] });
/** For derived values: a mismatch counts once in `short`, whatever its size. */
function check(d: Diff, what: string, ok: boolean): void {
  d.compared++;
  if (ok) return;
  d.short++;
  if (d.examples.length < 5) d.examples.push(what);
}
function compare(d: Diff, what: string, actual: number, expected: number): void {
  d.compared++;
  if (actual === expected) return;
  if (actual < expected) d.short += expected - actual;
  else d.surplus += actual - expected;
  if (d.examples.length < 5) d.examples.push(`${what}: read model ${actual}, fold ${expected}`);
}

export interface Verification {
  accepted: number;
  acceptedPosts: number;
  acceptedLikes: number;
  acceptedComments: number;
  stored: number;
  storedByType: Record<string, number>;
  /** Accepted (2xx) commands whose event is not in the event store. */
  missingCommands: { posts: string[]; likes: string[]; comments: string[] };
  duplicateEventIds: number;
  /** Streams whose events are in a different order by (tx_id, position) than by stream position. */
  storeOrderInversions: number;
  storeOrderExamples: string[];
  kafka: {
    messages: number;
    distinctEvents: number;
    resends: number;
    /** Stored events (types routed to a complete topic) never seen on Kafka. */
    missing: string[];
    /** Real events a sf-seq consumer would drop as re-sends (arrived below the partition's highest seq). */
    droppedUnseen: string[];
    orderViolations: number;
  };
  readModels: Record<string, Diff>;
  /** Derived topics and processor states: posts whose last value differs from the fold. */
  derived: Record<string, Diff>;
  lateEvents: number;
  deadLetters: Record<string, number>;
  lost: number;
  duplicated: number;
}

interface Fold {
  created: boolean;
  deleted: boolean;
  likes: number;
  comments: number;
}

/**
 * From-scratch fold of the event store and comparison with everything built from it: the
 * ledger of accepted commands, Kafka, the read models, the processor states and derived topics.
 */
export async function verify(db: Pool, ledger: Ledger, brokers: string, prefix: string): Promise<Verification> {
  // --- the event store ------------------------------------------------------------------
  const { rows: events } = await db.query<{ event_id: string; stream_id: string; type: string; post_id: string | null; occurred_at: Date }>(
    `SELECT event_id::text, stream_id, type, data->>'postId' AS post_id, occurred_at FROM sf_events ORDER BY tx_id, global_position`,
  );
  const storedByType: Record<string, number> = {};
  const streamTypes = new Set<string>();
  const ids = new Set<string>();
  let duplicateEventIds = 0;
  const folds = new Map<string, Fold>();
  const buckets = new Map<string, { likes: number; comments: number }>();
  for (const e of events) {
    storedByType[e.type] = (storedByType[e.type] ?? 0) + 1;
    streamTypes.add(`${e.stream_id}|${e.type}`);
    if (ids.has(e.event_id)) duplicateEventIds++;
    ids.add(e.event_id);
    if (!SOCIAL.includes(e.type) || !e.post_id) continue;
    // The fold, from scratch: likes = PostLiked - PostUnliked, comments = CommentAdded - CommentDeleted.
    const f = folds.get(e.post_id) ?? { created: false, deleted: false, likes: 0, comments: 0 };
    const bucketKey = `${e.post_id}@${Math.floor(e.occurred_at.getTime() / BUCKET_MS) * BUCKET_MS}`;
    const b = buckets.get(bucketKey) ?? { likes: 0, comments: 0 };
    if (e.type === T.PostCreated) f.created = true;
    if (e.type === T.PostDeleted) f.deleted = true;
    if (e.type === T.PostLiked) (f.likes++, b.likes++);
    if (e.type === T.PostUnliked) (f.likes--, b.likes--);
    if (e.type === T.CommentAdded) (f.comments++, b.comments++);
    if (e.type === T.CommentDeleted) (f.comments--, b.comments--);
    folds.set(e.post_id, f);
    if (e.type !== T.PostCreated && e.type !== T.PostDeleted) buckets.set(bucketKey, b);
  }
  // Invariant 2 at the source: the relay publishes in (tx_id, global_position) order, so a stream
  // whose positions go backwards in that order reaches Kafka out of stream order.
  const inversions = await db.query<{ type: string; streams: number; example: string }>(
    `SELECT type, count(DISTINCT stream_id)::int AS streams,
            min(format('%s: position %s (tx %s) published after position %s (tx %s)', stream_id, stream_position, tx_id, prev, prev_tx)) AS example
     FROM (SELECT stream_id, type, stream_position, tx_id,
                  lag(stream_position) OVER w AS prev, lag(tx_id) OVER w AS prev_tx
           FROM sf_events WINDOW w AS (PARTITION BY stream_id ORDER BY tx_id, global_position)) s
     WHERE prev > stream_position GROUP BY type`,
  );

  // --- accepted commands ----------------------------------------------------------------
  const missingCommands = {
    posts: [...ledger.posts.keys()].filter((id) => !streamTypes.has(`post-${id}|${T.PostCreated}`)),
    likes: [...ledger.likes].filter((k) => {
      const [postId, userId] = k.split('|');
      return !streamTypes.has(`like-${postId}-${userId}|${T.PostLiked}`);
    }),
    comments: [...ledger.comments.keys()].filter((id) => !streamTypes.has(`comment-${id}|${T.CommentAdded}`)),
  };

  // --- Kafka ----------------------------------------------------------------------------
  const topics = await readTopics(brokers, prefix, [...Object.keys(COMPLETE_TOPICS), 'posts_with_counts'], 90_000);
  const onKafka = new Set<string>();
  const kafka = { messages: 0, distinctEvents: 0, resends: 0, missing: [] as string[], droppedUnseen: [] as string[], orderViolations: 0 };
  const lastValue = new Map<string, Map<string, any>>();
  for (const [topic, messages] of topics) {
    const audit = auditTopic(messages);
    kafka.messages += audit.messages;
    kafka.resends += audit.resends;
    kafka.droppedUnseen.push(...audit.droppedUnseen);
    kafka.orderViolations += audit.orderViolations;
    for (const m of messages) if (m.eventId) onKafka.add(m.eventId);
    // What a consumer of the derived topic ends with: the last applied value per post.
    const last = new Map<string, any>();
    for (const m of audit.accepted) {
      const e = JSON.parse(m.value);
      if (e?.data?.postId) last.set(e.data.postId, e.data);
    }
    lastValue.set(topic, last);
  }
  kafka.distinctEvents = onKafka.size;
  for (const e of events) {
    const complete = Object.values(COMPLETE_TOPICS).some((types) => types.includes(e.type));
    if (complete && !onKafka.has(e.event_id)) kafka.missing.push(e.event_id);
  }

  // --- read models ----------------------------------------------------------------------
  const readModels: Record<string, Diff> = { 'social_posts.post': diff(), 'social_posts.likes': diff(), 'social_posts.comments': diff(), 'social_trending.likes': diff(), 'social_trending.comments': diff(), 'processor_state.posts_with_counts': diff() };
  const { rows: posts } = await db.query<{ post_id: string; author_id: string | null; likes: number; comments: number }>(
    `SELECT post_id, author_id, likes, comments FROM social_posts`,
  );
  const postRows = new Map(posts.map((r) => [r.post_id, r]));
  for (const id of new Set([...folds.keys(), ...postRows.keys()])) {
    const f = folds.get(id) ?? { created: false, deleted: false, likes: 0, comments: 0 };
    const r = postRows.get(id);
    compare(readModels['social_posts.post'], `post ${id} exists`, r?.author_id ? 1 : 0, f.created ? 1 : 0);
    compare(readModels['social_posts.likes'], `post ${id} likes`, r?.likes ?? 0, f.likes);
    compare(readModels['social_posts.comments'], `post ${id} comments`, r?.comments ?? 0, f.comments);
  }
  const marks = await db.query<{ late: string | null }>(`SELECT sum(late)::text AS late FROM social_trending_marks`);
  const lateEvents = Number(marks.rows[0]?.late ?? 0);
  const { rows: trending } = await db.query<{ post_id: string; bucket: Date; likes: number; comments: number }>(
    `SELECT post_id, bucket, likes, comments FROM social_trending`,
  );
  const trendingRows = new Map(trending.map((r) => [`${r.post_id}@${Math.round(r.bucket.getTime())}`, r]));
  for (const key of new Set([...buckets.keys(), ...trendingRows.keys()])) {
    const b = buckets.get(key) ?? { likes: 0, comments: 0 };
    const r = trendingRows.get(key);
    compare(readModels['social_trending.likes'], `bucket ${key} likes`, r?.likes ?? 0, b.likes);
    compare(readModels['social_trending.comments'], `bucket ${key} comments`, r?.comments ?? 0, b.comments);
  }
  // Processor states are folds of the log too: posts_with_counts keeps {likes, comments} per post.
  const versions = new Map((await db.query<{ name: string; active_version: number }>(`SELECT name, active_version FROM sf_projections`)).rows.map((r) => [r.name, r.active_version]));
  const stateOf = async (name: string) =>
    new Map(
      (await db.query<{ key: string; state: any }>(`SELECT key, state FROM sf_processor_state WHERE processor = $1`, [`${name}@v${versions.get(name) ?? 1}`])).rows.map((r) => [r.key, r.state]),
    );
  const pwcState = await stateOf('social.posts_with_counts');
  for (const [id, f] of folds) {
    const s = pwcState.get(id);
    compare(readModels['processor_state.posts_with_counts'], `post ${id} likes`, s?.likes ?? 0, f.likes);
    compare(readModels['processor_state.posts_with_counts'], `post ${id} comments`, s?.comments ?? 0, f.comments);
  }

  // --- derived topics and the trending processor's state (posts whose last value is wrong) --
  const derived: Record<string, Diff> = { posts_with_counts: diff(), trending_posts: diff(), 'processor_state.trending_posts': diff() };
  const trendingState = await stateOf('social.trending_posts');
  const pwc = lastValue.get('posts_with_counts')!;
  const scores = lastValue.get('trending_posts')!;
  for (const [id, f] of folds) {
    const v = pwc.get(id);
    check(derived.posts_with_counts, `post ${id} last (likes,comments)=${v ? `${v.likes},${v.comments}` : 'none'}, fold ${f.likes},${f.comments}`,
      !!v && v.likes === f.likes && v.comments === f.comments);
    // Every event of this run is inside the one-hour window, so the score is all of the post's points.
    const points = f.likes + COMMENT_WEIGHT * f.comments;
    const score = scores.get(id)?.score ?? 0;
    if (points !== 0 || scores.has(id)) check(derived.trending_posts, `post ${id} last score ${score}, fold ${points}`, score === points);
    const state = trendingState.get(id)?.score ?? 0;
    if (points !== 0 || trendingState.has(id)) check(derived['processor_state.trending_posts'], `post ${id} state score ${state}, fold ${points}`, state === points);
  }

  const dead = await db.query<{ consumer: string; n: number }>(`SELECT consumer, count(*)::int AS n FROM sf_dead_letters GROUP BY consumer`);
  const shortfalls = Object.values(readModels).reduce((n, d) => n + d.short, 0);
  const surplus = Object.values(readModels).reduce((n, d) => n + d.surplus, 0);
  const lost = missingCommands.posts.length + missingCommands.likes.length + missingCommands.comments.length + kafka.missing.length + shortfalls;
  return {
    accepted: ledger.accepted,
    acceptedPosts: ledger.posts.size,
    acceptedLikes: ledger.likes.size,
    acceptedComments: ledger.comments.size,
    stored: events.length,
    storedByType,
    missingCommands,
    duplicateEventIds,
    storeOrderInversions: inversions.rows.reduce((n, r) => n + r.streams, 0),
    storeOrderExamples: inversions.rows.map((r) => `${r.type}: ${r.streams} streams, e.g. ${r.example}`),
    kafka,
    readModels,
    derived,
    lateEvents,
    deadLetters: Object.fromEntries(dead.rows.map((r) => [r.consumer, r.n])),
    lost,
    duplicated: surplus + duplicateEventIds,
  };
}
