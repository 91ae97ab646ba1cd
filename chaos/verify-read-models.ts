import type { Pool } from 'pg';
import { TRENDING_WINDOW_MS } from '../apps/social/src/domain/trending';
import { PostFold, scoreOf, StoreFold } from './fold';

/** Shortfall (below the fold: lost) and surplus (above the fold: counted twice) of one read model. */
export interface Diff {
  compared: number;
  short: number;
  surplus: number;
  examples: string[];
}
export const diff = (): Diff => ({ compared: 0, short: 0, surplus: 0, examples: [] });
/** A value that must equal the fold (text, author, times, ...): a mismatch counts once in `short`. */
export function check(d: Diff, what: string, ok: boolean): void {
  d.compared++;
  if (ok) return;
  d.short++;
  if (d.examples.length < 5) d.examples.push(what);
}
/** A count: below the fold is lost, above it counted twice. */
export function compare(d: Diff, what: string, actual: number, expected: number): void {
  d.compared++;
  if (actual === expected) return;
  if (actual < expected) d.short += expected - actual;
  else d.surplus += actual - expected;
  if (d.examples.length < 5) d.examples.push(`${what}: read model ${actual}, fold ${expected}`);
}
const ms = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).getTime());
const iso = (t: number | null) => (t === null ? 'none' : new Date(t).toISOString());

/**
 * social_posts and social_trending, every column of every row, against the fold; a row the fold
 * does not know (or a post the read model lacks) counts as surplus (or shortfall).
 */
export async function compareReadModels(db: Pool, fold: StoreFold): Promise<Record<string, Diff>> {
  const d = { 'social_posts.row': diff(), 'social_posts.likes': diff(), 'social_posts.comments': diff(), 'social_posts.deleted': diff(), 'social_posts.fields': diff(), 'social_trending.likes': diff(), 'social_trending.comments': diff() };
  const { rows } = await db.query(`SELECT post_id, author_id, text, likes, comments, created_at, deleted_at, last_activity_at FROM social_posts`);
  const byId = new Map(rows.map((r) => [r.post_id as string, r]));
  for (const id of new Set([...fold.posts.keys(), ...byId.keys()])) {
    const f = fold.posts.get(id);
    const r = byId.get(id);
    compare(d['social_posts.row'], `post ${id} row`, r ? 1 : 0, f ? 1 : 0);
    if (!f || !r) continue;
    compare(d['social_posts.likes'], `post ${id} likes`, r.likes, f.likes);
    compare(d['social_posts.comments'], `post ${id} comments`, r.comments, f.comments);
    compare(d['social_posts.deleted'], `post ${id} deleted`, r.deleted_at ? 1 : 0, f.deletedAt !== null ? 1 : 0);
    const fields: Array<[string, unknown, unknown]> = [
      ['author_id', r.author_id, f.authorId],
      ['text', r.text, f.text],
      ['created_at', ms(r.created_at), f.createdAt],
      ['deleted_at', ms(r.deleted_at), f.deletedAt],
      ['last_activity_at', ms(r.last_activity_at), f.lastActivityAt],
    ];
    for (const [name, actual, expected] of fields) check(d['social_posts.fields'], `post ${id} ${name}: read model ${actual}, fold ${expected}`, actual === expected);
  }
  const { rows: trending } = await db.query<{ post_id: string; bucket: Date; likes: number; comments: number }>(`SELECT post_id, bucket, likes, comments FROM social_trending`);
  const buckets = new Map(trending.map((r) => [`${r.post_id}@${r.bucket.getTime()}`, r]));
  for (const key of new Set([...fold.buckets.keys(), ...buckets.keys()])) {
    const b = fold.buckets.get(key) ?? { likes: 0, comments: 0 };
    const r = buckets.get(key);
    compare(d['social_trending.likes'], `bucket ${key} likes`, r?.likes ?? 0, b.likes);
    compare(d['social_trending.comments'], `bucket ${key} comments`, r?.comments ?? 0, b.comments);
  }
  return d;
}

/** Processor states (sf_processor_state of the active version) against the fold, every field. */
export async function compareProcessorStates(db: Pool, fold: StoreFold): Promise<Record<string, Diff>> {
  const d = { 'processor_state.posts_with_counts': diff(), 'processor_state.trending_posts': diff() };
  const versions = new Map((await db.query<{ name: string; active_version: number }>(`SELECT name, active_version FROM sf_projections`)).rows.map((r) => [r.name, r.active_version]));
  const stateOf = async (name: string) =>
    new Map((await db.query<{ key: string; state: any }>(`SELECT key, state FROM sf_processor_state WHERE processor = $1`, [`${name}@v${versions.get(name) ?? 1}`])).rows.map((r) => [r.key, r.state]));
  const counts = await stateOf('social.posts_with_counts');
  const pwc = d['processor_state.posts_with_counts'];
  for (const id of new Set([...fold.posts.keys(), ...counts.keys()])) {
    const f = fold.posts.get(id);
    const s = counts.get(id);
    compare(pwc, `post ${id} likes`, s?.likes ?? 0, f?.likes ?? 0);
    compare(pwc, `post ${id} comments`, s?.comments ?? 0, f?.comments ?? 0);
    check(pwc, `post ${id} deleted: state ${s?.deleted}, fold ${f?.deletedAt !== null}`, !!s?.deleted === (!!f && f.deletedAt !== null));
  }
  const trending = await stateOf('social.trending_posts');
  for (const id of new Set([...fold.posts.keys(), ...trending.keys()])) {
    const f = fold.posts.get(id);
    const s = trending.get(id);
    if (!f?.watermark && !s) continue; // no likes or comments: the processor never saw the post
    check(d['processor_state.trending_posts'], `post ${id} state ${JSON.stringify(s)}, fold score ${f ? scoreOf(f) : 'none'} watermark ${iso(f?.watermark ?? null)}`, !!f && !!s && sameTrending(s, f));
  }
  return d;
}

function sameTrending(s: { watermark: number; buckets: Record<string, number>; score: number; late: number }, f: PostFold): boolean {
  const buckets = Object.entries(s.buckets ?? {});
  return s.score === scoreOf(f) && s.watermark === f.watermark && s.late === 0 &&
    buckets.length === f.points.size && buckets.every(([start, points]) => f.points.get(Number(start)) === points);
}

/** The last value per post on the derived topics, as an sf-seq consumer applies them, against the fold. */
export function compareDerived(fold: StoreFold, last: Map<string, Map<string, any>>): Record<string, Diff> {
  const d = { posts_with_counts: diff(), trending_posts: diff() };
  const counts = last.get('posts_with_counts') ?? new Map();
  const scores = last.get('trending_posts') ?? new Map();
  for (const id of new Set([...fold.posts.keys(), ...counts.keys(), ...scores.keys()])) {
    const f = fold.posts.get(id);
    const v = counts.get(id);
    check(d.posts_with_counts, `post ${id} last ${JSON.stringify(v ?? null)}, fold ${f?.likes},${f?.comments},${f?.deletedAt !== null}`,
      !!f && !!v && v.likes === f.likes && v.comments === f.comments && v.deleted === (f.deletedAt !== null));
    const s = scores.get(id);
    if (!f?.watermark && !s) continue;
    // A batch that moves the watermark without changing the score emits nothing, so the last
    // window may end before the fold's watermark; it is exactly one window long either way.
    const end = s ? Date.parse(s.windowEnd) : NaN;
    const ok = !!f?.watermark && !!s && s.score === scoreOf(f) && end <= f.watermark && Date.parse(s.windowStart) === end - TRENDING_WINDOW_MS;
    check(d.trending_posts, `post ${id} last ${JSON.stringify(s ?? null)}, fold score ${f ? scoreOf(f) : 'none'} at ${iso(f?.watermark ?? null)}`, ok);
  }
  return d;
}

/**
 * social_trending_marks, every column: per (topic, partition) of likes and comments, the watermark
 * is the latest event time applied there (from the messages an sf-seq consumer applies) and no
 * event of a run is late (a run is far shorter than the 10-minute lateness bound).
 */
export async function compareTrendingMarks(db: Pool, watermarks: Map<string, number>): Promise<Diff> {
  const d = diff();
  const { rows } = await db.query<{ topic: string; partition: number; watermark: Date; late: string }>(`SELECT topic, partition, watermark, late::text FROM social_trending_marks`);
  const marks = new Map(rows.map((r) => [`${r.topic.slice(r.topic.lastIndexOf('.') + 1)}:${r.partition}`, r]));
  for (const key of new Set([...watermarks.keys(), ...marks.keys()])) {
    const r = marks.get(key);
    const expected = watermarks.get(key);
    check(d, `${key}: watermark ${iso(ms(r?.watermark))} late ${r?.late ?? 'none'}, from Kafka ${iso(expected ?? null)}`,
      !!r && expected !== undefined && ms(r.watermark) === expected && r.late === '0');
  }
  return d;
}
