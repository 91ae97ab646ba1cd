import type { Pool } from 'pg';
import { SocialEventType } from '../apps/social/src/domain/social.events';
import { PostCountsChanged } from '../apps/social/src/processors/posts-with-counts.processor';
import { PostTrendingScoreChanged } from '../apps/social/src/processors/trending-posts.processor';
import { foldStore } from './fold';
import { auditTopic, readTopics } from './kafka-read';
import { Ledger } from './ledger';
import { CommandCheck, checkCommands } from './verify-commands';
import { compareDerived, compareProcessorStates, compareReadModels, compareTrendingMarks, Diff } from './verify-read-models';

export type { Diff } from './verify-read-models';

const T = { ...SocialEventType, PostCountsChanged, PostTrendingScoreChanged };
/** Topics whose every message must be there: relay output of every stored event of these types. */
const COMPLETE_TOPICS: Record<string, string[]> = {
  posts: [T.PostCreated, T.PostDeleted],
  likes: [T.PostLiked, T.PostUnliked],
  comments: [T.CommentAdded, T.CommentDeleted],
  trending_posts: [T.PostTrendingScoreChanged],
};

export interface Verification {
  accepted: number;
  acceptedPosts: number;
  acceptedLikes: number;
  acceptedComments: number;
  stored: number;
  storedByType: Record<string, number>;
  /** Accepted (2xx) commands against the store, and idempotency keys counted in it. */
  commands: CommandCheck;
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
  /** Read models and processor states, every field of every row against the fold. */
  readModels: Record<string, Diff>;
  /** Derived topics: posts whose last value differs from the fold. */
  derived: Record<string, Diff>;
  lateEvents: number;
  deadLetters: Record<string, number>;
  lost: number;
  duplicated: number;
}

/**
 * From-scratch fold of the event store and comparison with everything built from it: the
 * ledger of accepted commands, Kafka, the read models, the processor states and derived topics.
 */
export async function verify(db: Pool, ledger: Ledger, brokers: string, prefix: string): Promise<Verification> {
  const fold = await foldStore(db);
  const { events } = fold;
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
  const commands = await checkCommands(db, events, ledger);

  // --- Kafka ----------------------------------------------------------------------------
  const topics = await readTopics(brokers, prefix, [...Object.keys(COMPLETE_TOPICS), 'posts_with_counts'], 90_000);
  const onKafka = new Set<string>();
  const kafka = { messages: 0, distinctEvents: 0, resends: 0, missing: [] as string[], droppedUnseen: [] as string[], orderViolations: 0 };
  const lastValue = new Map<string, Map<string, any>>();
  /** Latest event time per likes/comments partition, as a consumer applies them (the trending marks). */
  const watermarks = new Map<string, number>();
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
    if (topic !== 'likes' && topic !== 'comments') continue;
    for (const m of audit.accepted) {
      const at = Date.parse(JSON.parse(m.value)?.occurredAt);
      const key = `${topic}:${m.partition}`;
      watermarks.set(key, Math.max(watermarks.get(key) ?? at, at));
    }
  }
  kafka.distinctEvents = onKafka.size;
  for (const e of events) {
    const complete = Object.values(COMPLETE_TOPICS).some((types) => types.includes(e.type));
    if (complete && !onKafka.has(e.event_id)) kafka.missing.push(e.event_id);
  }

  // --- read models, processor states, derived topics --------------------------------------
  const readModels = {
    ...(await compareReadModels(db, fold)),
    social_trending_marks: await compareTrendingMarks(db, watermarks),
    ...(await compareProcessorStates(db, fold)),
  };
  const derived = compareDerived(fold, lastValue);
  const marks = await db.query<{ late: string | null }>(`SELECT sum(late)::text AS late FROM social_trending_marks`);
  const dead = await db.query<{ consumer: string; n: number }>(`SELECT consumer, count(*)::int AS n FROM sf_dead_letters GROUP BY consumer`);
  const shortfalls = Object.values(readModels).reduce((n, d) => n + d.short, 0);
  const surplus = Object.values(readModels).reduce((n, d) => n + d.surplus, 0);
  const missingCommands = Object.values(commands.missing).reduce((n, list) => n + list.length, 0);
  return {
    accepted: ledger.accepted,
    acceptedPosts: ledger.posts.size,
    acceptedLikes: ledger.likes.size,
    acceptedComments: ledger.comments.size,
    stored: events.length,
    storedByType: fold.storedByType,
    commands,
    duplicateEventIds: fold.duplicateEventIds,
    storeOrderInversions: inversions.rows.reduce((n, r) => n + r.streams, 0),
    storeOrderExamples: inversions.rows.map((r) => `${r.type}: ${r.streams} streams, e.g. ${r.example}`),
    kafka,
    readModels,
    derived,
    lateEvents: Number(marks.rows[0]?.late ?? 0),
    deadLetters: Object.fromEntries(dead.rows.map((r) => [r.consumer, r.n])),
    lost: missingCommands + kafka.missing.length + shortfalls,
    duplicated: surplus + fold.duplicateEventIds + commands.duplicatedKeys.length + commands.inconsistentAnswers.length,
  };
}
