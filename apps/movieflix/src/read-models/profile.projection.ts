import { defineProjection } from '@streamfold/projections';
import { MovieflixEventType as T } from '../domain/movieflix.events';
import { evolveProfile, NO_PROFILE, Profile, ProfileEvent } from '../domain/profile';
import { MovieflixTopic } from '../movieflix.topics';
import { notifyUsers } from './notify';

export const PROFILE_CHANNEL = 'movieflix_profiles';

/**
 * A viewer's profile in real time: watch time, completion, decayed genre affinity, devices,
 * last activity. Heartbeats (show_position) and intent events (playback_events) arrive on two
 * topics in no common order; every part of the fold (`evolveProfile`) is order-independent, and
 * the row of each user is locked for the batch, so two partitions' batches compose.
 */
export const profileProjection = defineProjection<ProfileEvent>({
  name: 'movieflix.profile',
  topics: [MovieflixTopic.playback, MovieflixTopic.showPosition],
  tables: ['movieflix_profiles'],
  handles: [T.PlaybackStarted, T.PlaybackFinished, T.PlaybackAbandoned, T.VideoRated, T.PositionReported],

  async setup({ sql, table }) {
    await sql.query(`
      CREATE TABLE IF NOT EXISTS ${table('movieflix_profiles')} (
        user_id      text PRIMARY KEY,
        watch_sec    float8 NOT NULL DEFAULT 0,
        finished     integer NOT NULL DEFAULT 0,
        abandoned    integer NOT NULL DEFAULT 0,
        affinity     jsonb NOT NULL DEFAULT '{"asOf":0,"weights":{}}',
        devices      jsonb NOT NULL DEFAULT '{}',
        last_active  bigint NOT NULL DEFAULT 0
      )`);
  },

  async apply(deliveries, { sql, table }) {
    const users = [...new Set(deliveries.map((d) => d.envelope.data.userId))].sort();
    if (users.length === 0) return;
    const t = table('movieflix_profiles');
    // Placeholder rows first, then lock in id order: FOR UPDATE locks only existing rows, and two
    // batches (one per topic) that both saw "no row" would overwrite each other's fold.
    await sql.query(`INSERT INTO ${t} (user_id) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING`, [users]);
    const { rows } = await sql.query<ProfileRow>(`SELECT * FROM ${t} WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE`, [users]);
    const profiles = new Map(rows.map((r) => [r.user_id, fromRow(r)]));
    for (const { envelope } of deliveries) {
      const userId = envelope.data.userId;
      profiles.set(userId, evolveProfile(profiles.get(userId) ?? NO_PROFILE, envelope));
    }
    const changed = [...profiles];
    await sql.query(
      `UPDATE ${t} AS p SET watch_sec = u.watch_sec, finished = u.finished, abandoned = u.abandoned,
         affinity = u.affinity, devices = u.devices, last_active = u.last_active
       FROM jsonb_to_recordset($1::jsonb) AS u(user_id text, watch_sec float8, finished int, abandoned int, affinity jsonb, devices jsonb, last_active bigint)
       WHERE p.user_id = u.user_id`,
      [JSON.stringify(changed.map(([userId, p]) => toRow(userId, p)))],
    );
    await notifyUsers(sql, PROFILE_CHANNEL, users);
  },
});

export interface ProfileRow {
  user_id: string;
  watch_sec: number;
  finished: number;
  abandoned: number;
  affinity: Profile['affinity'];
  devices: Profile['devices'];
  /** bigint arrives as a string from pg. */
  last_active: string | number;
}

export function fromRow(r: ProfileRow): Profile {
  return { watchSec: r.watch_sec, finished: r.finished, abandoned: r.abandoned, affinity: r.affinity, devices: r.devices, lastActive: Number(r.last_active) };
}

function toRow(userId: string, p: Profile): ProfileRow {
  return { user_id: userId, watch_sec: p.watchSec, finished: p.finished, abandoned: p.abandoned, affinity: p.affinity, devices: p.devices, last_active: p.lastActive };
}

export const PROFILE_QUERY = 'SELECT * FROM movieflix_profiles WHERE user_id = $1';
