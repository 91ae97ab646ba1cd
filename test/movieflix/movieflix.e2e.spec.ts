import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { ProjectionDefinition, rebuildProjection } from '@streamfold/projections';
import { MovieflixEventType } from '../../apps/movieflix/src/domain/movieflix.events';
import { evolveProfile, NO_PROFILE, Profile, ProfileEvent } from '../../apps/movieflix/src/domain/profile';
import { laterPoint, ResumePoint } from '../../apps/movieflix/src/domain/resume';
import { viewingStreamId } from '../../apps/movieflix/src/domain/viewing.decider';
import { fromRow, profileProjection, ProfileRow } from '../../apps/movieflix/src/read-models/profile.projection';
import { resumeProjection } from '../../apps/movieflix/src/read-models/resume.projection';
import { startTestApp, TestApp } from '../app-harness';

const T0 = Date.now() - 3600_000;
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const hb = (videoId: string, positionSec: number, device: string, s: number) => ({ videoId, positionSec, durationSec: 6000, device, occurredAt: iso(s) });

describe('MovieFlix on Kafka and PostgreSQL', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('movieflix')));
  afterAll(async () => app?.close());

  const send = (user: string, heartbeats: unknown) => app.request('POST', '/movieflix/users/me/heartbeats', { user, body: { heartbeats } });

  it('resumes at the latest heartbeat by event time, across two devices, with late and duplicated heartbeats', async () => {
    // The phone plays 0–50 s of event time; the TV takes over at 60 s after seeking back.
    const phone = [0, 10, 20, 30, 40, 50].map((s) => hb('1', 100 + s, 'phone', s));
    const tv = [60, 70, 80].map((s) => hb('1', 120 + s, 'tv', s));
    // Arrival order: the TV first, the phone's backlog late (out of order), duplicates of both.
    expect((await send('ann', [tv[0], tv[1], tv[2], tv[1]])).status).toBe(202);
    expect((await send('ann', [phone[5], phone[0], phone[3], phone[3], phone[1], phone[4], phone[2]])).status).toBe(202);
    expect((await send('ann', [tv[2], phone[5]])).status).toBe(202);
    await app.settle();

    const resume = await app.request('GET', '/movieflix/users/me/resume/1', { user: 'ann' });
    expect(resume.status).toBe(200);
    expect(resume.body).toEqual({ videoId: '1', positionSec: 200, durationSec: 6000, device: 'tv', occurredAt: iso(80) });
    const watching = await app.request('GET', '/movieflix/users/me/continue-watching', { user: 'ann' });
    expect(watching.body.map((w: { videoId: string }) => w.videoId)).toEqual(['1']);
    // Users reach only their own data: bob has no position on video 1.
    expect((await app.request('GET', '/movieflix/users/me/resume/1', { user: 'bob' })).status).toBe(404);
    expect((await app.request('GET', '/movieflix/users/me/resume/1')).status).toBe(401);
  });

  it('refuses bad input with a 400 naming the field, and stores nothing of the batch', async () => {
    const bad = await send('carl', [hb('2', 10, 'tv', 0), { ...hb('2', 20, 'tv', 10), positionSec: -5 }]);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('heartbeats[1].positionSec');
    const unknown = await app.request('POST', '/movieflix/users/me/playbacks/999999999/start', { user: 'carl', body: { device: 'tv', positionSec: 0, durationSec: 100 } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('videoId');
    const rating = await app.request('PUT', '/movieflix/users/me/ratings/2', { user: 'carl', body: { rating: 7 } });
    expect(rating.status).toBe(400);
    expect(JSON.stringify(rating.body)).toContain('rating');
    await app.settle();
    expect((await app.request('GET', '/movieflix/users/me/resume/2', { user: 'carl' })).status).toBe(404);
    expect((await app.request('GET', '/movieflix/users/me/profile', { user: 'carl' })).body).toMatchObject({ finished: 0, lastActive: null });
  });

  it('a finished playback updates the profile and the recommendations, which exclude it and say why', async () => {
    const play = (videoId: string, stopAt: number) => async () => {
      expect((await app.request('POST', `/movieflix/users/me/playbacks/${videoId}/start`, { user: 'dora', body: { device: 'tv', positionSec: 0, durationSec: 6000 } })).status).toBe(204);
      expect((await app.request('POST', `/movieflix/users/me/playbacks/${videoId}/stop`, { user: 'dora', body: { positionSec: stopAt } })).status).toBe(204);
    };
    // Others' history gives co-watch evidence: people who watched Toy Story (1) watched Toy Story 2 (3114).
    for (const user of ['eve', 'finn']) {
      for (const v of ['1', '3114']) {
        await app.request('POST', `/movieflix/users/me/playbacks/${v}/start`, { user, body: { device: 'web', positionSec: 0, durationSec: 6000 } });
        await app.request('POST', `/movieflix/users/me/playbacks/${v}/stop`, { user, body: { positionSec: 5900 } });
      }
    }
    await play('1', 5600)(); // finished (≥ 90 %)
    await play('2', 1200)(); // abandoned
    await app.settle();
    await app.settle(); // the recommender's output is itself relayed

    const profile = (await app.request('GET', '/movieflix/users/me/profile', { user: 'dora' })).body;
    expect(profile).toMatchObject({ finished: 1, abandoned: 1, completionRate: 0.5, watchTimeSec: 6800, devices: [{ device: 'tv' }] });
    // Toy Story (Adventure|Animation|Children|Comedy|Fantasy) finished and Jumanji (Adventure|Children|Fantasy)
    // abandoned: exactly those genres, led by one the two films share.
    const genres = (profile.genreAffinity as Array<{ genre: string }>).map((g) => g.genre);
    expect([...genres].sort()).toEqual(['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy']);
    expect(['Adventure', 'Children', 'Fantasy']).toContain(genres[0]);
    const recs = (await app.request('GET', '/movieflix/users/me/recommendations', { user: 'dora' })).body;
    expect(recs.source).toBe('model');
    const ids = recs.items.map((i: { videoId: string }) => i.videoId);
    expect(ids).not.toContain('1');
    expect(ids[0]).toBe('3114');
    expect(recs.items[0].reason).toEqual({ kind: 'because-you-watched', videoId: '1', title: 'Toy Story (1995)' });
  });

  it('rebuilds resume and profile from the log into exactly the live read models, equal to the test\'s own fold', async () => {
    const sent: Array<{ user: string; h: ReturnType<typeof hb> }> = [];
    for (const [user, device] of [['gus', 'phone'], ['gus', 'tv'], ['hana', 'web']]) {
      const batch = [5, 1, 3, 3, 2].map((s, i) => hb(String(1 + (i % 2)), s * 30 + (device === 'tv' ? 7 : 0), device, s * 10));
      sent.push(...batch.map((h) => ({ user, h })));
      expect((await send(user, batch)).status).toBe(202);
    }
    await app.settle();
    const db = app.server.infra.database;
    const log = app.server.app.get<MessageLog>(MESSAGE_LOG);
    const quiet = { log() {}, warn() {}, error() {} };
    const dump = async (table: string) => (await db.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
    for (const definition of [resumeProjection, profileProjection] as ProjectionDefinition[]) {
      const live = await dump(`${definition.tables[0]}_v1`);
      const result = await rebuildProjection({ db, log, definition, from: 'kafka', graceMs: 500, logger: quiet });
      expect(result.version).toBe(2);
      await app.settle();
      expect(await dump(`${definition.tables[0]}_v2`)).toEqual(live);
      expect(await dump(definition.tables[0])).toEqual(live);
    }

    // The test's own fold of what it sent: the resume rule over every heartbeat of gus and hana.
    const expected = new Map<string, ResumePoint>();
    for (const { user, h } of sent) {
      const key = `${user}/${h.videoId}`;
      expected.set(key, laterPoint(expected.get(key), { positionSec: h.positionSec, durationSec: h.durationSec, device: h.device, occurredAt: Date.parse(h.occurredAt) }));
    }
    const rows = (await db.query(`SELECT user_id, video_id, position_sec, duration_sec, device, occurred_at FROM movieflix_resume WHERE user_id IN ('gus', 'hana')`)).rows;
    expect(new Map(rows.map((r) => [`${r.user_id}/${r.video_id}`, { positionSec: r.position_sec, durationSec: r.duration_sec, device: r.device, occurredAt: new Date(r.occurred_at).getTime() }]))).toEqual(expected);

    // Profile of dora (from the previous test): the fold of her heartbeats-free intent events, read back from the store.
    const events = [];
    for (const v of ['1', '2']) events.push(...(await app.store.readStream(viewingStreamId('dora', v))).events);
    const fold = events.map((e) => e as unknown as ProfileEvent & { occurredAt: string }).reduce(evolveProfile, NO_PROFILE);
    const row = (await db.query<ProfileRow>(`SELECT * FROM movieflix_profiles WHERE user_id = 'dora'`)).rows[0];
    const rebuilt = fromRow(row);
    expect({ ...rebuilt, affinity: rebuilt.affinity.asOf }).toEqual({ ...fold, affinity: fold.affinity.asOf });
    for (const [genre, w] of Object.entries(fold.affinity.weights)) expect(rebuilt.affinity.weights[genre]).toBeCloseTo(w, 9);

    // Profiles of gus and hana: the fold of the heartbeats the test sent (devices, last activity).
    for (const user of ['gus', 'hana']) {
      const theirs = sent.filter((x) => x.user === user).map(({ h }) => ({ type: MovieflixEventType.PositionReported, data: { userId: user, videoId: h.videoId, positionSec: h.positionSec, durationSec: h.durationSec, device: h.device }, occurredAt: h.occurredAt }) as const);
      const own = theirs.reduce<Profile>(evolveProfile, NO_PROFILE);
      const stored = (await db.query<ProfileRow>('SELECT * FROM movieflix_profiles WHERE user_id = $1', [user])).rows[0];
      expect(fromRow(stored)).toEqual(own);
    }
  });
});
