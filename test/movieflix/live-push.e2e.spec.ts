import { startTestApp, TestApp } from '../app-harness';

/** Reads server-sent events of one stream until `stop` returns true or the timeout passes. */
async function readEvents(url: string, token: string, stop: (events: Array<{ type: string; data: any }>) => boolean, timeoutMs = 20_000) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: Array<{ type: string; data: any }> = [];
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    let buffer = '';
    while (!stop(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push({ type, data: JSON.parse(data) });
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

describe('MovieFlix live push', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('mflive')));
  afterAll(async () => app?.close());

  it('pushes new recommendations and the new profile when a playback finishes', async () => {
    const token = app.token('ivy');
    const base = `${app.url}/movieflix/users/me`;
    const recs = readEvents(`${base}/recommendations/live`, token, (e) => e.some((x) => x.data.source === 'model'));
    const profile = readEvents(`${base}/profile/live`, token, (e) => e.some((x) => x.data.finished === 1));
    await new Promise((r) => setTimeout(r, 500)); // both streams subscribed and sent their current view
    await app.request('POST', '/movieflix/users/me/playbacks/1/start', { user: 'ivy', body: { device: 'phone', positionSec: 0, durationSec: 100 } });
    await app.request('POST', '/movieflix/users/me/playbacks/1/stop', { user: 'ivy', body: { positionSec: 95 } });

    const [pushedRecs, pushedProfiles] = await Promise.all([recs, profile]);
    expect(pushedRecs[0].data.source).toBe('popular'); // the current view first (cold start)
    const updated = pushedRecs.find((e) => e.data.source === 'model');
    expect(updated?.type).toBe('recommendations');
    expect(updated!.data.items.map((i: { videoId: string }) => i.videoId)).not.toContain('1');
    expect(pushedProfiles.find((e) => e.data.finished === 1)?.data).toMatchObject({ userId: 'ivy', completionRate: 1, watchTimeSec: 95 });
  });
});
