import { defineProjection } from '@streamfold/projections';
import { MovieflixEventType as T, PositionReported } from '../domain/movieflix.events';
import { CONTINUE_BELOW_SHARE, laterPoint, ResumePoint } from '../domain/resume';
import { MovieflixTopic } from '../movieflix.topics';

/**
 * The last position per (user, video) by event time. A batch is folded with the resume rule
 * (`laterPoint`) and upserted only where it beats the stored point on the same tuple
 * (occurred_at, position_sec, device), so a late or duplicated heartbeat never moves it back,
 * in whatever order heartbeats from two devices arrive.
 */
export const resumeProjection = defineProjection<PositionReported>({
  name: 'movieflix.resume',
  topics: [MovieflixTopic.showPosition],
  tables: ['movieflix_resume'],
  handles: [T.PositionReported],

  async setup({ sql, table }) {
    const t = table('movieflix_resume');
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${t} (
        user_id       text NOT NULL,
        video_id      text NOT NULL,
        position_sec  float8 NOT NULL,
        duration_sec  float8 NOT NULL,
        device        text COLLATE "C" NOT NULL, -- byte order, as the resume rule compares in TypeScript
        occurred_at   timestamptz NOT NULL,
        PRIMARY KEY (user_id, video_id)
      )`);
    await sql.query(`CREATE INDEX IF NOT EXISTS ${t}_recent ON ${t} (user_id, occurred_at DESC)`);
  },

  async apply(deliveries, { sql, table }) {
    const points = new Map<string, { userId: string; videoId: string; point: ResumePoint }>();
    for (const { envelope } of deliveries) {
      const { userId, videoId, positionSec, durationSec, device } = envelope.data;
      const key = `${userId}\u0000${videoId}`;
      const point = laterPoint(points.get(key)?.point, { positionSec, durationSec, device, occurredAt: Date.parse(envelope.occurredAt) });
      points.set(key, { userId, videoId, point });
    }
    if (points.size === 0) return;
    const rows = [...points.values()];
    const t = table('movieflix_resume');
    await sql.query(
      `INSERT INTO ${t} AS r (user_id, video_id, position_sec, duration_sec, device, occurred_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[], $6::timestamptz[])
       ON CONFLICT (user_id, video_id) DO UPDATE SET
         position_sec = EXCLUDED.position_sec, duration_sec = EXCLUDED.duration_sec,
         device = EXCLUDED.device, occurred_at = EXCLUDED.occurred_at
       WHERE (EXCLUDED.occurred_at, EXCLUDED.position_sec, EXCLUDED.device) > (r.occurred_at, r.position_sec, r.device)`,
      [
        rows.map((r) => r.userId),
        rows.map((r) => r.videoId),
        rows.map((r) => r.point.positionSec),
        rows.map((r) => r.point.durationSec),
        rows.map((r) => r.point.device),
        rows.map((r) => new Date(r.point.occurredAt).toISOString()),
      ],
    );
  },
});

/** Reader queries over the view. */
export const RESUME_QUERY = `SELECT video_id, position_sec, duration_sec, device, occurred_at FROM movieflix_resume WHERE user_id = $1 AND video_id = $2`;
export const RESUMES_QUERY = `SELECT video_id, position_sec, duration_sec, device, occurred_at FROM movieflix_resume WHERE user_id = $1 AND video_id = ANY($2::text[])`;
export const CONTINUE_WATCHING_QUERY = `
  SELECT video_id, position_sec, duration_sec, device, occurred_at FROM movieflix_resume
  WHERE user_id = $1 AND position_sec > 0 AND position_sec < ${CONTINUE_BELOW_SHARE} * duration_sec
  ORDER BY occurred_at DESC, video_id ASC LIMIT $2`;
