import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsShipper, TELEMETRY_SHIPPING, TelemetryShipping } from '@streamfold/nestjs';
import { startTestApp, TestApp } from '../app-harness';
import { eventually, uniqueName } from '../e2e-env';
import { freePort } from '../process';

/** Debian's package puts it here; CI installs it (.ci/run). */
const PROMETHEUS = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';
const present = existsSync(PROMETHEUS);
if (!present) process.stderr.write(`SKIPPED prometheus-scrape: no Prometheus binary at ${PROMETHEUS} (apt-get install prometheus, or set PROMETHEUS_BIN)\n`);

(present ? describe : describe.skip)('a real Prometheus scrapes the aggregated metrics', () => {
  let app: TestApp;
  let prometheus: ChildProcess | null = null;
  let dir = '';
  let promUrl = '';
  const service = uniqueName('e2e-prom').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60);
  const query = async (q: string) => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    return body.status === 'success' ? body.data.result : [];
  };

  beforeAll(async () => {
    app = await startTestApp('prom');
    // Another service's lines through the ingestion endpoint, and some requests for the latency histogram.
    const now = Date.now();
    const body = [...Array(30)].map((_, i) => JSON.stringify({ service, level: i % 3 === 0 ? 'error' : 'info', time: now - i * 1000, msg: `line ${i}` })).join('\n');
    const res = await fetch(`${app.url}/ingest/logs`, { method: 'POST', headers: { authorization: `Bearer ${app.token('svc')}`, 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(202);
    const shipper = app.server.app.get(MetricsShipper);
    await shipper.ship();
    for (let i = 0; i < 20; i++) await fetch(`${app.url}/health`).then((r) => r.text());
    await shipper.ship();
    // The snapshot is in the shipping buffer: settle() only sees what reached Kafka.
    await app.server.app.get<TelemetryShipping>(TELEMETRY_SHIPPING).producer.flush();
    await app.settle(60_000);

    dir = mkdtempSync(join(tmpdir(), 'sf-prometheus-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = new URL(app.url).host;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global:', '  scrape_interval: 1s', '  scrape_timeout: 1s',
      'scrape_configs:', '  - job_name: streamfold-ops', '    metrics_path: /ops/metrics', '    static_configs:', `      - targets: ['${target}']`, '',
    ].join('\n'));
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    prometheus.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    prometheus.once('exit', (code) => code && process.stderr.write(`prometheus exited ${code}: ${stderr}\n`));
  }, 180_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    await app?.close();
  }, 60_000);

  it('finds the per-service log counters through /api/v1/query', async () => {
    const result = await eventually(async () => {
      const r = await query(`streamfold_ops_log_lines_total{service="${service}"}`);
      return r.length === 2 ? r : undefined;
    }, 60_000, 'Prometheus to scrape the ops series');
    const byLevel = Object.fromEntries(result.map((s) => [s.metric.level, Number(s.value[1])]));
    expect(byLevel).toEqual({ error: 10, info: 20 });
    expect(result[0].metric.job).toBe('streamfold-ops');
  });

  it('computes a p99 over the merged request histogram with histogram_quantile', async () => {
    const result = await eventually(async () => {
      const r = await query('histogram_quantile(0.99, sum by (le) (streamfold_ops_request_duration_seconds_bucket{service="streamfold"}))');
      return r.length === 1 && Number.isFinite(Number(r[0].value[1])) ? r : undefined;
    }, 60_000, 'a p99 from Prometheus');
    expect(Number(result[0].value[1])).toBeGreaterThan(0);
  });
});
