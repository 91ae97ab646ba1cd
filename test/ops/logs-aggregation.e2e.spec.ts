import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { MetricsShipper, TELEMETRY_SHIPPING, TelemetryShipping } from '@streamfold/nestjs';
import { loadConfig } from '@streamfold/runtime';
import { LakeSink, lakeStatus, queryLake } from '@streamfold/sink';
import { INITIAL_ERROR_RATE, isErrorLevel, loadOpsConfigForTest, observeLine } from './ops-test-kit';
import { startTestApp, TestApp } from '../app-harness';
import { eventually, KAFKA_BROKERS, uniqueName } from '../e2e-env';
import { countsByLevelAndMinute, generateLines, WORDS, writeLines } from './log-generator';

const LINES = 10_000;

describe('logs through Kafka: 10,000 lines of one service, aggregated and searchable', () => {
  let app: TestApp;
  const service = uniqueName('e2e-logs').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60);
  // Event times: a recent stretch of about four minutes (25 ms apart), so the search table's retention keeps them all.
  const start = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  const lines = generateLines(LINES, start, 25);
  const expected = countsByLevelAndMinute(lines);
  const admin = { user: 'ops-admin', admin: true };

  beforeAll(async () => {
    app = await startTestApp('ops');
    // A second "process": its own shipper under its own SERVICE_NAME, on the app's log (and topic prefix).
    const config = loadConfig({ SERVICE_NAME: service, LOG_LEVEL: 'trace', KAFKA_BROKERS: 'localhost:1', DATABASE_URL: 'postgres://x@y/z' });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    const shipping = new TelemetryShipping(app.server.infra.log, config, { stdout: quiet as never });
    // In slices, as a running process would log: the buffer drains between them.
    for (let i = 0; i < LINES; i += 500) {
      writeLines(lines.slice(i, i + 500), shipping.destination());
      await shipping.producer.flush();
    }
    expect(shipping.logs!.dropped).toBe(0);
    expect(shipping.logs!.shipped).toBe(LINES);
    await shipping.close();
    await app.settle(120_000);
  }, 240_000);
  afterAll(async () => app?.close());

  it('lands every line once in the lake: the same counts per level and minute, queried with DuckDB', async () => {
    // A sink of its own over app_logs (the batch layer), into a temporary lake.
    const lakeDir = mkdtempSync(join(tmpdir(), 'lake-ops-logs-'));
    const log = app.server.infra.log;
    const sink = await LakeSink.start({ log, topics: ['app_logs'], dir: lakeDir, groupId: 'e2e-logs-lake', flushMs: 200, threads: 1 });
    try {
      // Caught up with the topic's end, which lies past every line shipped above.
      await eventually(async () => ((await lakeStatus(lakeDir, log, ['app_logs'])).find((s) => s.topic === 'app_logs')?.lag === 0 ? true : undefined), 120_000, 'the lake to catch up with app_logs');
      const { rows } = await queryLake(
        `SELECT json_extract_string(data, '$.level') AS level, epoch_ms(date_trunc('minute', occurred_at)) AS minute, count(*) AS lines
         FROM app_logs WHERE type = 'streamfold.LogRecorded' AND json_extract_string(data, '$.service') = $service GROUP BY ALL`,
        { dir: lakeDir, params: { service } },
      );
      const inLake = new Map(rows.map((r) => [`${r.level}|${Number(r.minute)}`, Number(r.lines)]));
      expect(inLake).toEqual(expected);
    } finally {
      await sink.stop();
      rmSync(lakeDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('counts every line once per level and minute of event time', async () => {
    const { rows } = await app.server.infra.database.query(
      `SELECT level, (extract(epoch FROM minute) * 1000)::bigint AS minute, lines FROM ops_log_counts WHERE service = $1`,
      [service],
    );
    const actual = new Map(rows.map((r) => [`${r.level}|${r.minute}`, Number(r.lines)]));
    expect(actual).toEqual(expected);
    const overview = await app.request('GET', '/ops/services', admin);
    expect(overview.status).toBe(200);
    const mine = overview.body.find((s: any) => s.service === service);
    const perLevel: Record<string, number> = {};
    for (const l of lines) perLevel[l.level] = (perLevel[l.level] ?? 0) + 1;
    expect(mine.linesTotal).toEqual(perLevel);
  });

  it('finds the same counts through GET /ops/logs, and words through the text index', async () => {
    for (const [key, count] of expected) {
      const [level, minute] = key.split('|');
      const since = new Date(Number(minute)).toISOString();
      const until = new Date(Number(minute) + 60_000).toISOString();
      const res = await app.request('GET', `/ops/logs?service=${service}&level=${level}&since=${since}&until=${until}&limit=1000`, admin);
      expect(res.status).toBe(200);
      expect({ key, total: res.body.total, returned: res.body.logs.length }).toEqual({ key, total: count, returned: Math.min(count, 1000) });
    }
    const word = WORDS[3];
    const res = await app.request('GET', `/ops/logs?service=${service}&q=${word}&limit=5`, admin);
    expect(res.body.total).toBe(lines.filter((l) => l.msg.startsWith(word + ' ')).length);
    expect(res.body.logs).toHaveLength(5);
    expect(res.body.logs[0].msg).toBe(lines.filter((l) => l.msg.startsWith(word + ' ')).at(-1)!.msg); // newest first
  });

  it('raises and clears the error-rate alert exactly where the rule says, through the event store', async () => {
    const policy = loadOpsConfigForTest().errorRate;
    let state = INITIAL_ERROR_RATE;
    const want: string[] = [];
    for (const l of lines) {
      const r = observeLine(state, l.time, isErrorLevel(l.level), policy);
      state = r.state;
      if (r.change) want.push(r.change.kind === 'exceeded' ? 'ops.ErrorRateExceeded' : 'ops.ErrorRateRecovered');
    }
    expect(want[0]).toBe('ops.ErrorRateExceeded'); // the generator's incident is visible to the rule
    const stream = await eventually(async () => {
      const s = await app.store.readStream(`ops-alert-${service}`);
      return s.events.length >= want.length ? s : undefined;
    }, 30_000, 'alerts appended');
    expect(stream.events.map((e) => e.type)).toEqual(want);
  });

  it('answers `cli ops logs` with the same filters as the endpoint', async () => {
    const cli = join(__dirname, '..', '..', 'dist', 'apps', 'streamfold', 'src', 'cli.js');
    if (!existsSync(cli)) throw new Error(`build first (npm run build): ${cli} is missing`);
    const [key, count] = [...expected].find(([k]) => k.startsWith('error|'))!;
    const minute = Number(key.split('|')[1]);
    const args = ['ops', 'logs', '--service', service, '--level', 'error', '--since', String(minute), '--until', String(minute + 60_000), '--limit', '3', '--json'];
    const env = { ...process.env, DATABASE_URL: app.db.url, KAFKA_BROKERS: KAFKA_BROKERS.join(','), KAFKA_TOPIC_PREFIX: app.prefix, JWT_SECRET: 'e2e-secret-0123456789abcdef', LOG_LEVEL: 'warn' };
    const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], { env, timeout: 60_000 });
    const fromCli = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const fromHttp = await app.request('GET', `/ops/logs?service=${service}&level=error&since=${minute}&until=${minute + 60_000}&limit=3`, admin);
    expect(fromCli.total).toBe(count);
    expect(fromCli).toEqual(fromHttp.body);
  });

  it('takes JSON lines from other services only with a token, within the body limit, valid', async () => {
    const post = (body: string, token?: string) =>
      fetch(`${app.url}/ingest/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
    const good = JSON.stringify({ service: 'legacy', level: 'info', msg: 'hello' });
    expect((await post(good)).status).toBe(401);
    expect((await post(good + '\n' + JSON.stringify({ level: 'info', msg: 'who?' }), app.token('svc'))).status).toBe(400);
    expect((await post(`${good}\n`.repeat(20_000), app.token('svc'))).status).toBe(413); // about 1.1 MB
    expect((await post(good, app.token('svc'))).status).toBe(202);
  });

  it('keeps the search endpoint for admins', async () => {
    expect((await app.request('GET', '/ops/logs')).status).toBe(401);
    expect((await app.request('GET', '/ops/logs', { user: 'mallory' })).status).toBe(403);
    expect((await app.request('GET', '/ops/logs?level=loud', admin)).status).toBe(400);
  });

  it('merges request latency from metric snapshots into rates, percentiles and Prometheus text', async () => {
    const shipper = app.server.app.get(MetricsShipper);
    await shipper.ship();
    for (let i = 0; i < 50; i++) await app.request('GET', '/health');
    await shipper.ship();
    // The snapshot is in the shipping buffer: settle() only sees what reached Kafka.
    await app.server.app.get<TelemetryShipping>(TELEMETRY_SHIPPING).producer.flush();
    await app.settle(60_000);
    const services = (await app.request('GET', '/ops/services', admin)).body;
    const host = services.find((s: any) => s.service === 'streamfold');
    expect(host.requestsTotal.count).toBeGreaterThanOrEqual(50);
    expect(host.latency.p99).toBeGreaterThan(0);
    const text = await fetch(`${app.url}/ops/metrics`).then((r) => r.text());
    expect(text).toMatch(new RegExp(`streamfold_ops_log_lines_total\\{service="${service}",level="error"\\} \\d+`));
    expect(text).toMatch(/streamfold_ops_request_duration_seconds_bucket\{service="streamfold",le="\+Inf"\} \d+/);
  });
});
