import { activeVersion, ensureVersion, postgresProcessorState, processorNamespace, projectionContext, ProjectionDefinition } from '@streamfold/projections';
import type { Database } from '@streamfold/runtime';
import { DEFAULT_PARAMS, NO_TASTE, observe, RecommenderParams, Taste } from '../domain/recommender/co-watch';
import { MemoryCounts } from '../domain/recommender/memory-counts';
import { ITEMS_TABLE, PAIRS_TABLE } from './co-watch.tables';

/** One historical interaction, e.g. a MovieLens rating or a playback read back from the lake. */
export interface WarmInteraction {
  userId: string;
  itemId: string;
  /** Epoch ms. */
  at: number;
  title: string;
  genres: string[];
}

/**
 * Where history comes from, in event-time order. MovieLens (vendored) is the first source; the
 * lake (analytics store) is the next: a reader of its PlaybackFinished / VideoRated rows yields
 * the same shape, and nothing else here changes.
 */
export type WarmStartSource = () => AsyncIterable<WarmInteraction> | Iterable<WarmInteraction>;

const CHUNK = 20_000;

/**
 * Fills the recommender's active version (counts, pairs, per-user taste) from history, through
 * `observe`: the fold the live processor runs, so the warm model is the one live events extend.
 * One transaction: a failure leaves the tables as they were. Refuses tables that already learned
 * something, since adding history twice would count it twice.
 */
export async function warmStartRecommender(
  db: Database,
  recommender: ProjectionDefinition,
  source: WarmStartSource,
  options: { params?: RecommenderParams; onProgress?(phase: string, done: number): void } = {},
): Promise<{ interactions: number; users: number; items: number; pairs: number }> {
  const params = options.params ?? DEFAULT_PARAMS;
  const counts = new MemoryCounts();
  const tastes = new Map<string, Taste>();
  const titles = new Map<string, string>();
  let interactions = 0;
  for await (const i of source()) {
    const { taste, delta } = observe(tastes.get(i.userId) ?? NO_TASTE, { itemId: i.itemId, at: i.at, genres: i.genres }, params);
    tastes.set(i.userId, taste);
    counts.apply(delta, i.genres);
    titles.set(i.itemId, i.title);
    if (++interactions % 10_000 === 0) options.onProgress?.('replay', interactions);
  }
  const found = await db.transaction((sql) => activeVersion(sql, recommender.name));
  const version = found ?? 1;
  if (found === null) await ensureVersion(db, recommender, version);
  return db.transaction(async (sql) => {
    const { table } = projectionContext(sql, version);
    const used = await sql.query(`SELECT count(*)::int AS n FROM ${table(ITEMS_TABLE)}`);
    if (used.rows[0].n > 0) throw new Error(`the recommender (version ${version}) already has ${used.rows[0].n} items: warm start only an empty one (rebuild it first)`);
    const items = [...counts.itemRows()].map(([id, users, genres]) => ({ item_id: id, users, title: titles.get(id) ?? id, genres }));
    for (let i = 0; i < items.length; i += CHUNK) {
      await sql.query(
        `INSERT INTO ${table(ITEMS_TABLE)} (item_id, users, title, genres)
         SELECT item_id, users, title, ARRAY(SELECT jsonb_array_elements_text(genres)) FROM jsonb_to_recordset($1::jsonb) AS r(item_id text, users int, title text, genres jsonb)`,
        [JSON.stringify(items.slice(i, i + CHUNK))],
      );
    }
    let pairs = 0;
    let batch: Array<[string, string, number]> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await sql.query(`INSERT INTO ${table(PAIRS_TABLE)} (a, b, w) SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])`, [
        batch.map((p) => p[0]),
        batch.map((p) => p[1]),
        batch.map((p) => p[2]),
      ]);
      pairs += batch.length;
      options.onProgress?.('pairs', pairs);
      batch = [];
    };
    for (const row of counts.pairRows()) {
      batch.push(row);
      if (batch.length >= CHUNK) await flush();
    }
    await flush();
    const namespace = processorNamespace(recommender.name, version);
    const states = [...tastes].map(([key, state]) => ({ key, state }));
    for (let i = 0; i < states.length; i += 500) await postgresProcessorState.save(sql, namespace, states.slice(i, i + 500));
    return { interactions, users: tastes.size, items: items.length, pairs };
  });
}
