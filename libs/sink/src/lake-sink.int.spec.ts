import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedMessageLog, MessageLog, partitionForKey } from '@streamfold/messaging';
import { LakeSink } from './lake-sink';
import { listTopicFiles } from './lake-layout';
import { queryLake } from './lake-query';
import { relayMessage, testEnvelope, writeFailureScenario } from './lake-test-kit';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 11, 1, 10, 30);

async function untilRows(dir: string, topic: string, rows: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const files = listTopicFiles(dir, topic).offsetFiles;
    if (files.length > 0) {
      const { rows: r } = await queryLake(`SELECT count(*)::INT AS n FROM "${topic}"`, { dir });
      if (r[0].n === rows) return;
      if (Number(r[0].n) > rows) throw new Error(`expected ${rows} rows, lake has ${r[0].n}`);
    }
    if (Date.now() > deadline) throw new Error(`lake did not reach ${rows} rows`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('LakeSink on the embedded log', () => {
  let dir: string;
  let log: MessageLog;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'likes', partitions: 2 }]);
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes hour partitions by event time, with envelope and typed columns', async () => {
    const events = [0, 1, 2].map((h) => testEnvelope('post.liked', { postId: `p${h}`, weight: h + 1 }, new Date(T0 + h * HOUR), 'post-1'));
    await log.send('likes', events.map((e, i) => relayMessage(e, i + 1)));
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 50, schemas: { 'post.liked': { postId: 'VARCHAR', weight: 'INTEGER' } } });
    await untilRows(dir, 'likes', 3);
    await sink.stop();
    const folders = listTopicFiles(dir, 'likes').offsetFiles.map((f) => f.folder.slice(dir.length));
    expect(folders.sort()).toEqual(['/topic=likes/date=2026-12-01/hour=10', '/topic=likes/date=2026-12-01/hour=11', '/topic=likes/date=2026-12-01/hour=12']);
    const { rows } = await queryLake(`SELECT event_id, postId, weight, hour, occurred_at, sf_seq FROM likes ORDER BY kafka_offset`, { dir });
    expect(rows.map((r) => [r.event_id, r.postId, r.weight, r.sf_seq])).toEqual(events.map((e, i) => [e.eventId, `p${i}`, i + 1, `${i + 1}:${i + 1}`]));
    expect(rows[1].occurred_at).toBe('2026-12-01 11:30:00');
  });

  it('resumes from the file names: a second sink in a fresh group writes nothing twice', async () => {
    const events = Array.from({ length: 50 }, (_, i) => testEnvelope('post.liked', { i }, new Date(T0 + i * 60_000)));
    await log.send('likes', events.slice(0, 30).map((e, i) => relayMessage(e, i + 1)));
    const first = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, flushRows: 7 });
    await untilRows(dir, 'likes', 30);
    await first.stop();
    await log.send('likes', events.slice(30).map((e, i) => relayMessage(e, i + 31)));
    // A group that never committed reads from the start, like a crash before any commit.
    const second = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, groupId: 'other' });
    await untilRows(dir, 'likes', 50);
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    const { rows } = await queryLake('SELECT count(DISTINCT event_id)::INT AS d, count(*)::INT AS n FROM likes', { dir });
    expect(rows[0]).toEqual({ d: 50, n: 50 });
  });

  it('drops relay re-sends, also after a restart (the highest sequence comes from the files)', async () => {
    const events = Array.from({ length: 10 }, (_, i) => testEnvelope('post.liked', { i }, new Date(T0), 'post-1'));
    await log.send('likes', events.slice(0, 6).map((e, i) => relayMessage(e, i + 1)));
    const first = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20 });
    await untilRows(dir, 'likes', 6);
    await first.stop();
    // The relay crashed after publishing 4..6 and publishes 4..10 again.
    await log.send('likes', events.slice(3).map((e, i) => relayMessage(e, i + 4)));
    const second = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, groupId: 'other' });
    await untilRows(dir, 'likes', 10);
    await new Promise((r) => setTimeout(r, 200));
    expect(second.stats().duplicates).toBe(3);
    await second.stop();
    const { rows } = await queryLake('SELECT count(DISTINCT event_id)::INT AS d, count(*)::INT AS n FROM likes', { dir });
    expect(rows[0]).toEqual({ d: 10, n: 10 });
  });

  it('cleans up a crash: temporary files and merged inputs go, the merged file stays', async () => {
    const events = Array.from({ length: 4 }, (_, i) => testEnvelope('post.liked', { i }, new Date(T0), 'post-1'));
    await log.send('likes', events.map((e, i) => relayMessage(e, i + 1)));
    const first = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, flushRows: 2 });
    await untilRows(dir, 'likes', 4);
    await first.stop();
    const [a] = listTopicFiles(dir, 'likes').offsetFiles;
    writeFileSync(join(a.folder, '.tmp-half-written.parquet'), 'garbage');
    mkdirSync(a.folder, { recursive: true });
    const second = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, groupId: 'other' });
    await second.stop();
    expect(readdirSync(a.folder).some((n) => n.startsWith('.tmp-'))).toBe(false);
    const { rows } = await queryLake('SELECT count(*)::INT AS n FROM likes', { dir });
    expect(rows[0].n).toBe(4);
  });
});

describe('LakeSink gathering quiet partitions', () => {
  it('writes a backlog at once, keeps what reached the end until flushMs, and writes every buffer on stop, long before flushMs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'likes', partitions: 2 }]);
    const keyOn = (partition: number) => Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionForKey(k, 2, 0) === partition)!;
    const quiet = testEnvelope('post.liked', {}, new Date(T0), keyOn(0));
    const busy = Array.from({ length: 21 }, (_, i) => testEnvelope('post.liked', { i }, new Date(T0 + i), keyOn(1)));
    await log.send('likes', [relayMessage(quiet, 1), ...busy.map((e, i) => relayMessage(e, i + 2))]);
    // Batches of 2: partition 1 is behind its end ten times (written at once); its last message
    // and partition 0's only one reached the end and wait for flushMs (ten minutes).
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, flushRows: 2, flushMs: 600_000 });
    try {
      await untilRows(dir, 'likes', 20);
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.stats().rows).toBe(20);
    } finally {
      await sink.stop();
      await log.close();
    }
    const { rows } = await queryLake('SELECT count(*)::INT AS n, count(*) FILTER (WHERE kafka_partition = 0)::INT AS quiet FROM likes', { dir });
    expect(rows[0]).toEqual({ n: 22, quiet: 1 });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('LakeSink when a write fails', () => {
  it('replaces its consumer and writes every message exactly once when writing works again', async () => {
    const log = new EmbeddedMessageLog();
    try {
      expect(await writeFailureScenario(log, 40)).toEqual({ rows: 40, ids: 40, replaced: true });
    } finally {
      await log.close();
    }
  });
});

describe('LakeSink on values the fast path cannot take', () => {
  it('parses exactly when the Kafka timestamp is not the event time, and skips (and reports) non-envelopes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'likes', partitions: 1 }]);
    const offsetTime = testEnvelope('post.liked', {}, new Date(T0), 'post-1');
    offsetTime.occurredAt = '2026-12-01T12:30:00.000+02:00'; // 10:30 UTC
    const fine = testEnvelope('post.liked', {}, new Date(T0 + HOUR), 'post-1');
    await log.send('likes', [
      { key: 'post-1', value: JSON.stringify(offsetTime), timestamp: Date.now() },
      { key: 'post-1', value: 'not json', headers: {} },
      relayMessage(fine, 7),
    ]);
    const warnings: string[] = [];
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20, logger: { log: () => undefined, warn: (m) => warnings.push(m) } });
    await untilRows(dir, 'likes', 2);
    expect(sink.stats()).toMatchObject({ rows: 2, malformed: 1 });
    await sink.stop();
    await log.close();
    const { rows } = await queryLake('SELECT event_id, occurred_at, hour FROM likes ORDER BY kafka_offset', { dir });
    expect(rows.map((r) => [r.event_id, r.occurred_at, Number(r.hour)])).toEqual([[offsetTime.eventId, '2026-12-01 10:30:00', 10], [fine.eventId, '2026-12-01 11:30:00', 11]]);
    expect(warnings.join()).toMatch(/likes\/0@1 is not an envelope/);
    expect(listTopicFiles(dir, 'likes').offsetFiles.map((f) => [f.first, f.last]).sort()).toEqual([[0, 1], [2, 2]]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the value bytes as they came: unkeyed and unsequenced rows, non-ASCII text, and over one data chunk (2048 rows)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'likes', partitions: 1 }]);
    const events = Array.from({ length: 2500 }, (_, i) => testEnvelope('post.liked', { text: i % 2 ? `naïve ☕ ${i}` : `${i}` }, new Date(T0 + i)));
    await log.send('likes', events.map((e, i) => (i % 3 === 0 ? { key: null, value: JSON.stringify(e), timestamp: Date.parse(e.occurredAt) } : relayMessage(e, i + 1))));
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, flushMs: 20 });
    await untilRows(dir, 'likes', 2500);
    expect(sink.stats()).toMatchObject({ rows: 2500, malformed: 0 });
    await sink.stop();
    await log.close();
    const { rows } = await queryLake(`SELECT event_id, kafka_key, sf_seq, data->>'text' AS text FROM likes ORDER BY kafka_offset`, { dir, maxRows: 5000 });
    expect(rows.map((r) => [r.event_id, r.kafka_key, r.sf_seq, r.text])).toEqual(
      events.map((e, i) => [e.eventId, i % 3 === 0 ? null : e.streamId, i % 3 === 0 ? null : `${i + 1}:${i + 1}`, (e.data as { text: string }).text]),
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
