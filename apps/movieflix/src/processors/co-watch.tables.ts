import type { Sql } from '@streamfold/runtime';
import { CoWatchDelta, RecommenderParams, Taste } from '../domain/recommender/co-watch';
import { CoWatchCounts } from '../domain/recommender/scoring';

/** Base names of the recommender's tables (versioned with the processor, like any read model). */
export const ITEMS_TABLE = 'movieflix_rec_items';
export const PAIRS_TABLE = 'movieflix_rec_pairs';

type TableOf = (base: string) => string;

export async function setupCoWatchTables(sql: Sql, table: TableOf): Promise<void> {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS ${table(ITEMS_TABLE)} (
      item_id  text PRIMARY KEY,
      users    integer NOT NULL DEFAULT 0,
      title    text NOT NULL,
      genres   text[] NOT NULL
    )`);
  await sql.query(`CREATE INDEX IF NOT EXISTS ${table(ITEMS_TABLE)}_popular ON ${table(ITEMS_TABLE)} (users DESC, item_id)`);
  // Both directions are stored, so an item's neighbours are one index range.
  await sql.query(`
    CREATE TABLE IF NOT EXISTS ${table(PAIRS_TABLE)} (
      a  text NOT NULL,
      b  text NOT NULL,
      w  float8 NOT NULL,
      PRIMARY KEY (a, b)
    )`);
  await sql.query(`CREATE INDEX IF NOT EXISTS ${table(PAIRS_TABLE)}_strongest ON ${table(PAIRS_TABLE)} (a, w DESC)`);
}

/** A batch's deltas, summed per item and per ordered pair before one upsert each. */
export class DeltaBuffer {
  readonly items = new Map<string, { users: number; title: string; genres: readonly string[] }>();
  readonly pairs = new Map<string, number>();

  add(delta: CoWatchDelta, title: string, genres: readonly string[]): void {
    const item = this.items.get(delta.itemId) ?? { users: 0, title, genres };
    item.users += delta.newUser ? 1 : 0;
    this.items.set(delta.itemId, item);
    for (const [other, w] of delta.pairs) {
      for (const key of [`${delta.itemId}\u0000${other}`, `${other}\u0000${delta.itemId}`]) this.pairs.set(key, (this.pairs.get(key) ?? 0) + w);
    }
  }

  /** Two statements whatever the batch size; rows in key order so concurrent batches lock alike. */
  async write(sql: Sql, table: TableOf): Promise<void> {
    if (this.items.size > 0) {
      const ids = [...this.items.keys()].sort();
      const rows = ids.map((id) => ({ item_id: id, users: this.items.get(id)!.users, title: this.items.get(id)!.title, genres: this.items.get(id)!.genres }));
      await sql.query(
        `INSERT INTO ${table(ITEMS_TABLE)} AS i (item_id, users, title, genres)
         SELECT item_id, users, title, ARRAY(SELECT jsonb_array_elements_text(genres)) FROM jsonb_to_recordset($1::jsonb) AS r(item_id text, users int, title text, genres jsonb)
         ON CONFLICT (item_id) DO UPDATE SET users = i.users + EXCLUDED.users, title = EXCLUDED.title, genres = EXCLUDED.genres`,
        [JSON.stringify(rows)],
      );
    }
    if (this.pairs.size > 0) {
      const keys = [...this.pairs.keys()].sort();
      const split = keys.map((k) => k.split('\u0000'));
      await sql.query(
        `INSERT INTO ${table(PAIRS_TABLE)} AS p (a, b, w) SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
         ON CONFLICT (a, b) DO UPDATE SET w = p.w + EXCLUDED.w`,
        [split.map((s) => s[0]), split.map((s) => s[1]), keys.map((k) => this.pairs.get(k)!)],
      );
    }
  }
}

/** What scoring one user needs, loaded in the batch's transaction. */
export interface UserSlice {
  counts: CoWatchCounts;
  candidates: string[];
  titleOf(itemId: string): string;
}

export interface SliceRequest {
  userId: string;
  taste: Taste;
  /** The user's favourite genres, strongest first (cold start candidates). */
  topGenres: string[];
}

/**
 * Candidates per user: the strongest neighbours of the user's latest items, the most popular
 * items of the user's favourite genres (cold start), and the most popular overall. Scores then
 * use the exact pair weights between those candidates and the history, so the ranking is the
 * one `evaluate` measures. Four statements per batch whatever its number of users: under load a
 * round trip costs more than the rows.
 */
export async function loadSlices(sql: Sql, table: TableOf, requests: SliceRequest[], params: RecommenderParams): Promise<Map<string, UserSlice>> {
  const items = table(ITEMS_TABLE);
  const pairs = table(PAIRS_TABLE);
  const histories = new Map(requests.map((r) => [r.userId, r.taste.recent.slice(0, params.historyWindow)]));
  const allHistory = [...new Set([...histories.values()].flat())];
  const allGenres = [...new Set(requests.flatMap((r) => r.topGenres))];
  const near = await sql.query<{ a: string; b: string }>(
    `SELECT h.a, n.b FROM unnest($1::text[]) AS h(a) CROSS JOIN LATERAL (SELECT b FROM ${pairs} WHERE a = h.a ORDER BY w DESC, b LIMIT 100) n`,
    [allHistory],
  );
  const popular = await sql.query<{ genre: string | null; item_id: string }>(
    `SELECT g.genre, i.item_id FROM unnest($1::text[]) AS g(genre)
       CROSS JOIN LATERAL (SELECT item_id FROM ${items} WHERE genres @> ARRAY[g.genre] ORDER BY users DESC, item_id LIMIT 50) i
     UNION ALL (SELECT NULL, item_id FROM ${items} ORDER BY users DESC, item_id LIMIT 20)`,
    [allGenres],
  );
  const neighbours = groupBy(near.rows, (r) => r.a, (r) => r.b);
  const byGenre = groupBy(popular.rows, (r) => r.genre ?? '', (r) => r.item_id);
  const candidates = new Map<string, string[]>();
  for (const { userId, taste, topGenres } of requests) {
    const found = [...histories.get(userId)!.flatMap((h) => neighbours.get(h) ?? []), ...topGenres.flatMap((g) => byGenre.get(g) ?? []), ...(byGenre.get('') ?? [])];
    candidates.set(userId, [...new Set(found)].filter((c) => taste.seen[c] === undefined));
  }
  const facts = await sql.query<{ item_id: string; users: number; title: string; genres: string[]; max: number }>(
    `SELECT item_id, users, title, genres, (SELECT COALESCE(MAX(users), 0)::int FROM ${items}) AS max FROM ${items} WHERE item_id = ANY($1)`,
    [[...new Set([...allHistory, ...[...candidates.values()].flat()])]],
  );
  const exact = await sql.query<{ u: string; a: string; b: string; w: number }>(
    `SELECT q.u, p.a, p.b, p.w FROM jsonb_to_recordset($1::jsonb) AS q(u text, history text[], candidates text[])
       CROSS JOIN LATERAL (SELECT a, b, w FROM ${pairs} WHERE a = ANY(q.history) AND b = ANY(q.candidates)) p`,
    [JSON.stringify(requests.map((r) => ({ u: r.userId, history: histories.get(r.userId), candidates: candidates.get(r.userId) })))],
  );
  const byId = new Map(facts.rows.map((r) => [r.item_id, r]));
  const maxUsers = facts.rows[0]?.max ?? 0;
  const weights = groupBy(exact.rows, (r) => r.u, (r) => r);
  const slices = new Map<string, UserSlice>();
  for (const { userId } of requests) {
    const w = new Map((weights.get(userId) ?? []).map((r) => [`${r.a}\u0000${r.b}`, r.w]));
    const counts: CoWatchCounts = {
      users: (id) => byId.get(id)?.users ?? 0,
      pair: (a, b) => w.get(`${a}\u0000${b}`) ?? w.get(`${b}\u0000${a}`) ?? 0,
      maxUsers: () => maxUsers,
      genres: (id) => byId.get(id)?.genres ?? [],
    };
    slices.set(userId, { counts, candidates: candidates.get(userId)!, titleOf: (id) => byId.get(id)?.title ?? id });
  }
  return slices;
}

function groupBy<R, V>(rows: R[], key: (r: R) => string, value: (r: R) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(value(r));
    else out.set(k, [value(r)]);
  }
  return out;
}
