import type { Pool } from 'pg';
import { SocialEventType as T } from '../apps/social/src/domain/social.events';
import { StoredEvent } from './fold';
import { keyOfText, Ledger } from './ledger';

export interface CommandCheck {
  /** Acknowledged (2xx) commands whose effect is not in the event store, by kind. */
  missing: Record<'posts' | 'likes' | 'unlikes' | 'comments' | 'postDeletes' | 'commentDeletes' | 'keys', string[]>;
  /** Idempotency keys with more than one stored event: a retry that created a second post or comment. */
  duplicatedKeys: string[];
  /** Keys whose 2xx answers named different ids, or another id than the stored one (a repeat must answer the first result). */
  inconsistentAnswers: string[];
  /** Keyed commands sent more than once, and how many of those were acknowledged. */
  retried: number;
  retriedAccepted: number;
}

/**
 * Every acknowledged command against the event store, and every idempotency key counted in the
 * store by the key the workload wrote into the text (independent of sf_commands, which is the
 * mechanism under test); sf_commands is then checked to name the same event.
 */
export async function checkCommands(db: Pool, events: StoredEvent[], ledger: Ledger): Promise<CommandCheck> {
  const streamTypes = new Set(events.map((e) => `${e.stream_id}|${e.type}`));
  const has = (stream: string, type: string) => streamTypes.has(`${stream}|${type}`);
  const byKey = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (e.type !== T.PostCreated && e.type !== T.CommentAdded) continue;
    const key = keyOfText(String(e.data?.text ?? ''));
    if (key) byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const missing: CommandCheck['missing'] = {
    posts: [...ledger.posts.keys()].filter((id) => !has(`post-${id}`, T.PostCreated)),
    likes: [...ledger.likes].filter((k) => !has(`like-${k.replace('|', '-')}`, T.PostLiked)),
    unlikes: [...ledger.unlikes].filter((k) => !has(`like-${k.replace('|', '-')}`, T.PostUnliked)),
    comments: [...ledger.comments.keys()].filter((id) => !has(`comment-${id}`, T.CommentAdded)),
    postDeletes: [...ledger.postDeletes].filter((id) => !has(`post-${id}`, T.PostDeleted)),
    commentDeletes: [...ledger.commentDeletes].filter((id) => !has(`comment-${id}`, T.CommentDeleted)),
    keys: [],
  };
  const duplicatedKeys: string[] = [];
  const inconsistentAnswers: string[] = [];
  // The server's record of each key (command id `<command>:<user>:<key>`) must name the one stored event.
  const { rows } = await db.query<{ key: string; event_ids: string[] | null }>(
    `SELECT substring(command_id from '[^:]+$') AS key, ARRAY(SELECT jsonb_array_elements_text(result->'eventIds')) AS event_ids
     FROM sf_commands WHERE substring(command_id from '[^:]+$') = ANY($1::text[])`,
    [[...ledger.keyed.keys()]],
  );
  const recorded = new Map(rows.map((r) => [r.key, r.event_ids ?? []]));
  for (const k of ledger.keyed.values()) {
    const stored = byKey.get(k.key) ?? [];
    if (stored.length > 1) duplicatedKeys.push(`${k.key} (${stored.length} events, ${k.attempts} attempts)`);
    if (new Set(k.answers).size > 1) inconsistentAnswers.push(`${k.key}: ${[...new Set(k.answers)].join(' vs ')}`);
    if (k.answers.length === 0) continue;
    const id = k.kind === 'post' ? stored[0]?.data.postId : stored[0]?.data.commentId;
    const eventIds = recorded.get(k.key);
    // Nothing stored: already missing under posts/comments. Another id stored: the answer was not the first result.
    if (id !== k.answers[0]) {
      if (stored.length) inconsistentAnswers.push(`${k.key}: answered ${k.answers[0]}, stored ${id}`);
    } else if (!eventIds || eventIds.length !== 1 || eventIds[0] !== stored[0].event_id) {
      missing.keys.push(`${k.key}: sf_commands names ${eventIds ? `[${eventIds.join(',')}]` : 'no row'}, the store has ${stored[0].event_id}`);
    }
  }
  const retried = ledger.retried;
  return { missing, duplicatedKeys, inconsistentAnswers, retried: retried.length, retriedAccepted: retried.filter((k) => k.answers.length > 0).length };
}
