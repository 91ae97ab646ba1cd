import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedMessageLog } from '@streamfold/messaging';
import { compactLake } from './compaction';
import { LakeSink } from './lake-sink';
import { listTopicFiles } from './lake-layout';
import { LakeQueryRejected, LakeQueryTimeout, queryLake } from './lake-query';
import { lakeStatus } from './lake-status';
import { relayMessage, testEnvelope } from './lake-test-kit';
import { InvalidLakeQueryParams, LakeQueryRegistry } from './named-queries';

const T0 = Date.UTC(2026, 11, 1, 10, 0);

describe('lake tools: compaction, status, queries', () => {
  let dir: string;
  let log: EmbeddedMessageLog;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'shop.likes', partitions: 2 }]);
    // 40 events over two hours, written 5 rows per file: many small files per hour folder.
    const events = Array.from({ length: 40 }, (_, i) => testEnvelope('post.liked', { postId: `p${i % 3}` }, new Date(T0 + i * 180_000), `post-${i % 4}`));
    await log.send('shop.likes', events.map((e, i) => relayMessage(e, i + 1)));
    const sink = await LakeSink.start({ log, topics: ['shop.likes'], dir, flushRows: 5, flushMs: 20 });
    for (let i = 0; i < 200 && sink.stats().rows < 40; i++) await new Promise((r) => setTimeout(r, 25));
    await sink.stop();
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () => (await queryLake('SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM likes', { dir })).rows[0];

  it('compacts each hour folder per partition into one file with every row once', async () => {
    const before = listTopicFiles(dir, 'shop.likes').offsetFiles;
    expect(before.length).toBeGreaterThan(4);
    const result = await compactLake({ dir });
    const after = listTopicFiles(dir, 'shop.likes').offsetFiles;
    expect(after.length).toBe(new Set(before.map((f) => `${f.folder}:${f.partition}`)).size);
    expect(result.rows).toBeGreaterThan(0);
    expect(await count()).toEqual({ n: 40, d: 40 });
  });

  it('a merge cut short after its rename is read without its inputs and cleaned up later', async () => {
    const before = listTopicFiles(dir, 'shop.likes').offsetFiles;
    const groupOf = (g: (typeof before)[number]) => before.filter((f) => f.folder === g.folder && f.partition === g.partition);
    const group = before.map(groupOf).sort((a, b) => b.length - a.length)[0];
    expect(group.length).toBeGreaterThan(1);
    const keep = group.slice(0, 2).map((f) => ({ ...f, copy: join(dir, `${f.partition}-${f.first}.bak`) }));
    for (const f of keep) copyFileSync(f.path, f.copy);
    await compactLake({ dir });
    for (const f of keep) copyFileSync(f.copy, f.path); // as if the crash hit before the deletes
    expect(await count()).toEqual({ n: 40, d: 40 });
    const status = await lakeStatus(dir, log);
    expect(status[0]).toMatchObject({ topic: 'shop.likes', rows: 40, lag: 0 });
    await compactLake({ dir });
    expect(keep.filter((k) => existsSync(k.path))).toEqual([]);
    expect(await count()).toEqual({ n: 40, d: 40 });
  });

  it('status shows lag behind the topic end', async () => {
    await log.send('shop.likes', [relayMessage(testEnvelope('post.liked', {}, new Date(T0)), 1000)]);
    const [s] = await lakeStatus(dir, log);
    expect(s.lag).toBe(1);
    expect(s.files).toBeGreaterThan(0);
    expect(s.bytes).toBeGreaterThan(0);
  });

  it('queries refuse anything but one SELECT, stop at the time limit, and bind named parameters', async () => {
    await expect(queryLake(`COPY (SELECT 1) TO '${dir}/x.csv'`, { dir })).rejects.toBeInstanceOf(LakeQueryRejected);
    await expect(queryLake('SELECT 1; SELECT 2', { dir })).rejects.toBeInstanceOf(LakeQueryRejected);
    await expect(queryLake(`SELECT * FROM read_csv('/etc/passwd')`, { dir })).rejects.toThrow(/Permission|disabled/);
    await expect(queryLake('SELECT count(*) FROM range(100000000000)', { dir, timeoutMs: 200 })).rejects.toBeInstanceOf(LakeQueryTimeout);
    const registry = new LakeQueryRegistry([
      { name: 'likes-per-post', sql: 'SELECT data->>\'$.postId\' AS post, count(*)::INT AS likes FROM likes WHERE occurred_at >= $since GROUP BY 1 ORDER BY 1', params: { since: 'timestamp' } },
    ], { dir });
    const { rows } = await registry.run('likes-per-post', { since: new Date(T0 + 60 * 60_000).toISOString() });
    expect(rows.reduce((n, r) => n + Number(r.likes), 0)).toBe(20);
    expect(() => registry.run('likes-per-post', { since: 'yesterday' })).toThrow(InvalidLakeQueryParams);
    expect(() => registry.run('likes-per-post', { since: '2026-12-01', sql: 'x' })).toThrow(InvalidLakeQueryParams);
  });
});
