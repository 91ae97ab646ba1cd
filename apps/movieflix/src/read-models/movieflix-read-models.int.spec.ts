import { Sql } from '@streamfold/runtime';
import { deliveries, DeliveryInput, pgliteSql, projectionSpec, startPglite } from '@streamfold/testing';
import type { PgliteWorker } from '@streamfold/testing';
import { MovieflixEvent, MovieflixEventType as T } from '../domain/movieflix.events';
import { evolveProfile, NO_PROFILE, ProfileEvent } from '../domain/profile';
import { profileProjection } from './profile.projection';
import { recommendationsProjection } from './recommendations.projection';
import { resumeProjection } from './resume.projection';

let db: PgliteWorker;
let sql: Sql;
beforeAll(async () => {
  db = await startPglite();
  sql = pgliteSql(db);
}, 30_000);
afterAll(() => db?.close());

const video = { videoId: '1', title: 'Toy Story (1995)', genres: ['Animation', 'Comedy'] };
const beat = (userId: string, videoId: string, positionSec: number, device: string, at: string): DeliveryInput => ({
  stream: userId,
  topic: 'show_position',
  telemetry: true,
  at,
  event: { type: T.PositionReported, data: { userId, videoId, positionSec, durationSec: 6000, device } },
});
const intent = (event: MovieflixEvent, at: string): DeliveryInput => ({ stream: `viewing-${(event.data as { userId: string }).userId}`, topic: 'playback_events', key: (event.data as { userId: string }).userId, at, event });

describe('MovieFlix read models (each delivered once, then at least twice with a crash in between)', () => {
  it('resume: the latest heartbeat by event time per (user, video), across devices, late and duplicated ones included', async () => {
    const feed = deliveries(
      [
        beat('ann', '1', 120, 'phone', '20:00:20'),
        beat('ann', '1', 100, 'phone', '20:00:00'),
        beat('ann', '1', 300, 'tv', '20:05:00'), // the TV took over
        beat('ann', '1', 130, 'phone', '20:00:30'), // late phone heartbeat: must not move it back
        beat('ann', '1', 300, 'tv', '20:05:00'), // duplicate
        beat('ann', '2', 50, 'tv', '21:00:00'),
        beat('bob', '1', 10, 'web', '19:00:00'),
        beat('ann', '1', 290, 'phone', '20:05:00'), // same event time as the TV's: the larger position wins
      ],
      { partitions: 2, topic: 'show_position' },
    );
    const spec = projectionSpec(resumeProjection, { sql, batchSize: 3 }).given(feed);
    await spec.expectQuery('SELECT user_id, video_id, position_sec, device, occurred_at::text AS at FROM movieflix_resume ORDER BY 1, 2', [
      { user_id: 'ann', video_id: '1', position_sec: 300, device: 'tv', at: '2025-01-01 20:05:00+00' },
      { user_id: 'ann', video_id: '2', position_sec: 50, device: 'tv', at: '2025-01-01 21:00:00+00' },
      { user_id: 'bob', video_id: '1', position_sec: 10, device: 'web', at: '2025-01-01 19:00:00+00' },
    ]);
  });

  it('profile: watch time, completion, decayed genre affinity, devices and last activity equal the fold', async () => {
    const base = { ...video, userId: 'ann', device: 'tv', durationSec: 6000 };
    const drama = { videoId: '2', title: 'Heat (1995)', genres: ['Drama'] };
    const inputs = [
      intent({ type: T.PlaybackStarted, data: { ...base, positionSec: 0 } }, '2025-01-01T20:00:00Z'),
      beat('ann', '1', 600, 'phone', '2025-01-01T20:10:00Z'),
      intent({ type: T.PlaybackFinished, data: { ...base, positionSec: 5500, watchedSec: 5500 } }, '2025-01-01T21:40:00Z'),
      intent({ type: T.PlaybackAbandoned, data: { ...base, ...drama, positionSec: 600, watchedSec: 600 } }, '2025-02-01T21:40:00Z'),
      intent({ type: T.VideoRated, data: { ...video, userId: 'ann', rating: 5 } }, '2025-01-02T10:00:00Z'), // late, decayed into the past
    ];
    const feed = deliveries(inputs, { partitions: 2 });
    const expected = feed.map((d) => d.envelope as ProfileEvent & { occurredAt: string }).reduce(evolveProfile, NO_PROFILE);
    expect(expected.finished).toBe(1);
    await projectionSpec(profileProjection, { sql, batchSize: 2 })
      .given(feed)
      .expectQuery('SELECT user_id, watch_sec, finished, abandoned, affinity, devices, last_active::float8 AS last_active FROM movieflix_profiles', [
        { user_id: 'ann', watch_sec: 6100, finished: 1, abandoned: 1, affinity: expected.affinity, devices: expected.devices, last_active: Date.parse('2025-02-01T21:40:00Z') },
      ]);
  });

  it('recommendations: the latest list per user by stream position', async () => {
    const list = (userId: string, videoId: string): DeliveryInput => ({
      stream: `recommendations-${userId}`,
      topic: 'recommendations',
      key: userId,
      event: { type: T.RecommendationsUpdated, data: { userId, items: [{ videoId, title: videoId, score: 1, reason: { kind: 'popular' } }] } },
    });
    const feed = deliveries([list('ann', 'a'), list('bob', 'x'), list('ann', 'b')], { partitions: 2 });
    await projectionSpec(recommendationsProjection, { sql })
      .given(feed)
      .expectQuery("SELECT user_id, items->0->>'videoId' AS first, stream_position FROM movieflix_recommendations ORDER BY 1", [
        { user_id: 'ann', first: 'b', stream_position: 2 },
        { user_id: 'bob', first: 'x', stream_position: 1 },
      ]);
  });
});
