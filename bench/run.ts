import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTestDatabase, deleteTopics, TestDatabase, topicPrefix } from '../test/e2e-env';
import { ROOT, RESULTS, say } from './lib/child';
import { Details, plan, Row, SCENARIOS, ScenarioKey } from './lib/scenarios';
import { runAppend } from './scenarios/append';
import { runBankBench } from './bank';
import { runHttpAdapter } from './scenarios/http';
import { runE2e } from './scenarios/e2e';
import { runFoldAndRebuild } from './scenarios/fold';
import { runIngest } from './scenarios/ingest';
import { runSink } from './scenarios/sink';
import { runTaxi } from './scenarios/taxi';
import { runMovieflix } from './scenarios/movieflix';
import { runLogs } from './scenarios/logs';
import { Context } from './scenarios/context';

/**
 * `npm run bench [-- --quick] [--only=append,fold,...,movieflix] [--profile]`: every scenario runs our code and
 * its peer (or limit) in the same run, on the same broker, database server and data. Prints a table,
 * writes bench/results/latest.json (+ latest-details.json) and draws bench/results/latest.png.
 */
async function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const profile = argv.includes('--profile');
  const brokers = (process.env.KAFKA_BROKERS || 'localhost:9092').split(',');
  const p = plan(quick);
  const began = Date.now();
  say(`streamfold bench (${quick ? 'quick' : 'full'}) on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, broker ${brokers.join(',')}`);
  const wanted = (...keys: string[]) => !only || keys.some((k) => only.some((o) => k.startsWith(o)));
  await ensureKafka(brokers);
  // MyBank's insert → alert latency has no peer and leaves the result files alone (bench/bank.ts).
  if (only?.includes('bank')) {
    await stageBank();
    if (only.length === 1) return;
  }

  const prefix = topicPrefix('bench');
  const databases: TestDatabase[] = [];
  const db = async (label: string) => {
    const d = await createTestDatabase(label);
    databases.push(d);
    return d.url;
  };
  const rows: Partial<Record<ScenarioKey, Row>> = {};
  const details: Partial<Record<ScenarioKey, Details>> = {};
  const ctx: Context = { brokers, prefix, plan: p, profile, db, rows, details };
  const stage = async (name: string, fn: () => Promise<void>) => {
    say(`\n== ${name} (${Math.round((Date.now() - began) / 1000)} s elapsed)`);
    try {
      await fn();
    } catch (error) {
      say(`!! ${name} failed: ${(error as Error).message}`);
    }
  };
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    say('\ncleaning up: topics and databases of this run');
    await deleteTopics(prefix);
    for (const d of databases) await d.drop().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    say('\ninterrupted');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    if (wanted('append')) await stage('append', () => runAppend(ctx));
    if (wanted('fold', 'rebuild')) ensureKafkaStreamsPeer(); // a Maven build: only when its scenario runs
    if (wanted('fold', 'rebuild')) await stage('fold + rebuild', () => runFoldAndRebuild(ctx));
    if (wanted('ingest')) await stage('ingest', () => runIngest(ctx));
    if (wanted('e2e')) await stage('e2e latency', () => runE2e(ctx));
    if (wanted('sink')) await stage('sink', () => runSink(ctx));
    if (wanted('taxi')) await stage('taxi', () => runTaxi(ctx));
    if (wanted('movieflix')) await stage('movieflix', () => runMovieflix(ctx));
    if (wanted('logs')) await stage('logs: shipping, aggregation, broker outage', () => runLogs(ctx));
    if (wanted('http')) await stage('http adapter', () => runHttpAdapter(ctx));
  } finally {
    await cleanup();
  }
  for (const key of SCENARIOS) {
    if (!rows[key]) {
      rows[key] = { ours: NaN, peer: null, ratio: null, unit: '', peerName: 'not run', higherIsBetter: true };
      details[key] ??= { target: '', meetsTarget: null, cpuSeconds: null, peakRssMb: null, note: only ? 'not selected' : 'failed (see log)' };
    }
  }
  // A partial run (--only) writes to results/only/, so it never overwrites the full run's figures.
  const out = only ? join(RESULTS, 'only') : RESULTS;
  mkdirSync(out, { recursive: true });
  const ordered = Object.fromEntries(SCENARIOS.map((k) => [k, rows[k]]));
  writeFileSync(join(out, 'latest.json'), JSON.stringify(ordered, null, 2) + '\n');
  const meta = { date: new Date().toISOString(), mode: quick ? 'quick' : 'full', cores: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version, seconds: Math.round((Date.now() - began) / 1000) };
  writeFileSync(join(out, 'latest-details.json'), JSON.stringify({ meta, rows: ordered, details }, null, 2) + '\n');
  const table = renderTable(ordered as Record<ScenarioKey, Row>, details as Record<ScenarioKey, Details>);
  say(`\n${table}`);
  writeFileSync(join(out, 'latest.md'), `${meta.mode} run, ${meta.date}, ${meta.cores} cores (${meta.cpu}), Node ${meta.node}, ${meta.seconds} s\n\n${table}\n`);
  const chart = spawnSync(process.execPath, [join(ROOT, 'bench', 'chart.mjs'), join(out, 'latest-details.json'), join(out, 'latest.png')], { stdio: 'inherit' });
  say(`\nwrote ${out}/latest.json, latest-details.json, latest.md${chart.status === 0 ? ', latest.png' : ' (chart failed)'} in ${meta.seconds} s`);
}

async function stageBank(): Promise<void> {
  say('\n== bank: insert → live alert latency');
  const r = await runBankBench();
  console.log(`bank_alert_latency_ms p50=${r.p50} p99=${r.p99} max=${r.max} alerts=${r.alerts} missing=${r.missing} rate=${r.rate}/s`);
}

function fmt(n: number | null, unit = ''): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const s = Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2);
  return unit ? `${s} ${unit}` : s;
}

function renderTable(rows: Record<ScenarioKey, Row>, details: Record<ScenarioKey, Details>): string {
  const head = ['scenario', 'ours', 'peer / limit', 'ratio', 'unit', 'peer', 'target', 'met', 'our CPU s', 'our peak RSS MB'];
  const body = SCENARIOS.map((k) => {
    const r = rows[k];
    const d = details[k];
    return [k, fmt(r.ours), fmt(r.peer), r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`, r.unit, r.peerName, d?.target ?? '', d?.meetsTarget === null || d?.meetsTarget === undefined ? '—' : d.meetsTarget ? 'yes' : 'NO', fmt(d?.cpuSeconds ?? null), fmt(d?.peakRssMb ?? null)];
  });
  const lines = [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  const notes = SCENARIOS.filter((k) => details[k]?.note).map((k) => `- ${k}: ${details[k].note}`);
  return `${lines.join('\n')}\n\n${notes.join('\n')}`;
}

async function ensureKafka(brokers: string[]): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'bench-check', logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch {
    say('Kafka is not answering: starting it (bash scripts/kafka.sh start)');
    execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'start'], { stdio: 'inherit', cwd: ROOT });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Builds the Kafka Streams peer once (mvn package: classes + copied runtime jars). */
function ensureKafkaStreamsPeer(): void {
  const dir = join(ROOT, 'bench', 'kafka-streams');
  const cls = join(dir, 'target', 'classes', 'bench', 'CountLikes.class');
  const src = join(dir, 'src', 'main', 'java', 'bench', 'CountLikes.java');
  if (existsSync(cls) && existsSync(join(dir, 'target', 'lib')) && statSync(cls).mtimeMs >= statSync(src).mtimeMs) return;
  say('building the Kafka Streams peer (mvn package, first run only)');
  execFileSync('mvn', ['-B', '-q', '-f', join(dir, 'pom.xml'), 'package', '-DskipTests'], { stdio: 'inherit', cwd: dir });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
