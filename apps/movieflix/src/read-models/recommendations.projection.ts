import { defineProjection } from '@streamfold/projections';
import { MovieflixEventType as T, RecommendationsUpdated } from '../domain/movieflix.events';
import { MovieflixTopic } from '../movieflix.topics';
import { notifyUsers } from './notify';

export const RECOMMENDATIONS_CHANNEL = 'movieflix_recommendations';

/**
 * The latest recommendations per user, from the `recommendations` topic. The stream position
 * guards the row: a re-sent older list never replaces a newer one.
 */
export const recommendationsProjection = defineProjection<RecommendationsUpdated>({
  name: 'movieflix.recommendations',
  topics: [MovieflixTopic.recommendations],
  tables: ['movieflix_recommendations'],
  handles: [T.RecommendationsUpdated],

  async setup({ sql, table }) {
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('movieflix_recommendations')} (
        user_id          text PRIMARY KEY,
        items            jsonb NOT NULL,
        stream_position  integer NOT NULL,
        updated_at       timestamptz NOT NULL,
        caused_by        text
      )`);
  },

  async apply(deliveries, { sql, table }) {
    const latest = new Map<string, (typeof deliveries)[number]['envelope']>();
    for (const { envelope } of deliveries) {
      const seen = latest.get(envelope.data.userId);
      if (!seen || (envelope.streamPosition ?? 0) > (seen.streamPosition ?? 0)) latest.set(envelope.data.userId, envelope);
    }
    if (latest.size === 0) return;
    const rows = [...latest.values()].map((e) => ({ user_id: e.data.userId, items: e.data.items, stream_position: e.streamPosition ?? 0, updated_at: e.occurredAt, caused_by: e.causationId }));
    const t = table('movieflix_recommendations');
    await sql.query(
      `INSERT INTO ${t} AS r (user_id, items, stream_position, updated_at, caused_by)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS u(user_id text, items jsonb, stream_position int, updated_at timestamptz, caused_by text)
       ON CONFLICT (user_id) DO UPDATE SET items = EXCLUDED.items, stream_position = EXCLUDED.stream_position,
         updated_at = EXCLUDED.updated_at, caused_by = EXCLUDED.caused_by
       WHERE EXCLUDED.stream_position > r.stream_position`,
      [JSON.stringify(rows)],
    );
    await notifyUsers(sql, RECOMMENDATIONS_CHANNEL, latest.keys());
  },
});

export const RECOMMENDATIONS_QUERY = 'SELECT items, updated_at, caused_by FROM movieflix_recommendations WHERE user_id = $1';
