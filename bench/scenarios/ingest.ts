import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { KafkaMessageLog } from '@streamfold/messaging';
import { procSample, ROOT, runChild, say, spawnChild, waitForLine } from '../lib/child';
import { request, sleep } from '../lib/http';
import { row } from '../lib/scenarios';
import type { Context } from './context';

const TOPIC = 'show_position';
const BATCH = 100;
const CLIENTS = 16;

/**
 * ingest: show_position heartbeats accepted per second through TelemetryProducer directly and over
 * HTTP (a bench-hosted batch endpoint), against the broker's own producer-perf tool on the same
 * topic (32 partitions) with records of our message size.
 */
export async function runIngest(ctx: Context): Promise<void> {
  const log = new KafkaMessageLog({ brokers: ctx.brokers, clientId: 'bench-setup', prefix: ctx.prefix });
  await log.ensureTopics([{ name: TOPIC, partitions: 32 }]);
  await log.close();
  const n = ctx.plan.ingestEvents;
  const env = { KAFKA_BROKERS: ctx.brokers.join(','), PREFIX: ctx.prefix, N: String(n) };

  const producer = await runChild<{ eventsPerSecond: number; valueBytes: number; cpuSeconds: number; peakRssMb: number }>('ts', ['bench/ours/ingest-producer.ts'], { label: 'ours producer', profile: ctx.profile, env });
  say(`  ours (TelemetryProducer): ${Math.round(producer.eventsPerSecond)} heartbeats/s`);

  const limit = await producerPerf(ctx, n, producer.valueBytes);
  say(`  ProducerPerformance: ${Math.round(limit)} records/s`);

  const http = await httpIngest(ctx);
  say(`  ours over HTTP: ${Math.round(http.perSecond)} heartbeats/s`);

  const limitName = `kafka ProducerPerformance 4.1.1 (acks=all, ${producer.valueBytes} B records)`;
  const p = row(producer.eventsPerSecond, limit, 'heartbeats/s', limitName, true);
  ctx.rows['ingest-producer'] = p;
  ctx.details['ingest-producer'] = {
    target: '≥ 0.5× producer tool', meetsTarget: (p.ratio ?? 0) >= 0.5, cpuSeconds: producer.cpuSeconds, peakRssMb: producer.peakRssMb,
    note: `${n.toLocaleString('en-US')} heartbeats from one process through TelemetryProducer (batch up to 2,000 or 512 KiB, linger 10 ms, idempotent kafkajs producer, one request in flight), timed until flushed`,
    extra: { producer },
  };
  const h = row(http.perSecond, limit, 'heartbeats/s', limitName, true);
  ctx.rows['ingest-http'] = h;
  ctx.details['ingest-http'] = {
    target: '≥ 0.5× producer tool', meetsTarget: (h.ratio ?? 0) >= 0.5, cpuSeconds: http.cpuSeconds, peakRssMb: http.peakRssMb,
    note: `bench-hosted NestJS batch endpoint (MovieFlix's does not exist yet): ${CLIENTS} loopback clients POST ${BATCH} heartbeats per request for ${ctx.plan.ingestHttpSeconds} s; each published through TelemetryProducer; timed until the producer flushed`,
    extra: http,
  };
}

function producerPerf(ctx: Context, n: number, recordSize: number): Promise<number> {
  const libs = join(ROOT, '.cache', 'kafka', process.env.KAFKA_VERSION || '4.1.1', 'libs');
  const args = ['-Xmx512m', '-cp', `${libs}/*`, 'org.apache.kafka.tools.ProducerPerformance', '--topic', `${ctx.prefix}${TOPIC}`, '--num-records', String(n), '--record-size', String(recordSize), '--throughput', '-1', '--producer-props', `bootstrap.servers=${ctx.brokers.join(',')}`, 'acks=all'];
  return new Promise((resolve, reject) => {
    execFile('java', args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 }, (error, stdout) => {
      if (error) return reject(error);
      const lines = stdout.trim().split('\n');
      for (const l of lines.slice(0, -1)) if (/records sent/.test(l)) say(`  [producer-perf] ${l.trim()}`);
      const final = /(\d+) records sent, ([\d.]+) records\/sec/.exec(lines[lines.length - 1]);
      if (!final) return reject(new Error(`unexpected ProducerPerformance output: ${lines[lines.length - 1]}`));
      say(`  [producer-perf] ${lines[lines.length - 1].trim()}`);
      resolve(Number(final[2]));
    });
  });
}

async function httpIngest(ctx: Context): Promise<{ perSecond: number; accepted: number; requests: number; errors: number; seconds: number; cpuSeconds: number; peakRssMb: number }> {
  const child = spawnChild('ts', ['bench/ours/ingest-http-server.ts'], { label: 'ours http', profile: ctx.profile, env: { KAFKA_BROKERS: ctx.brokers.join(','), PREFIX: ctx.prefix } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    const url = await waitForLine(child, 'READY', 'ingest http server');
    const show = randomUUID();
    const body = (i: number) => JSON.stringify(Array.from({ length: BATCH }, (_, j) => ({ userId: `user-${(i * BATCH + j) % 5000}`, showId: show, positionSec: j, at: new Date().toISOString() })));
    await request(`${url}/movieflix/heartbeats`, 'POST', {}, body(0)); // warm-up
    const before = procSample(child.pid!);
    let last = before;
    const sampler = setInterval(() => {
      try {
        // A process that has just exited still has its CPU times but no longer its peak RSS: keep the peak.
        const sample = procSample(child.pid!);
        last = { cpuSeconds: sample.cpuSeconds, peakRssMb: Math.max(last.peakRssMb, sample.peakRssMb) };
      } catch {
        // exited between samples: keep the previous one
      }
    }, 100);
    const started = Date.now();
    const deadline = started + ctx.plan.ingestHttpSeconds * 1000;
    let accepted = 0;
    let requests = 0;
    let errors = 0;
    let reportAt = started;
    const client = async (c: number) => {
      for (let i = c; Date.now() < deadline; i += CLIENTS) {
        const reply = await request(`${url}/movieflix/heartbeats`, 'POST', {}, body(i)).catch(() => null);
        requests++;
        if (reply?.status === 202) accepted += BATCH;
        else errors++;
        if (Date.now() - reportAt > 3000) {
          reportAt = Date.now();
          say(`    http ingest: ${accepted} accepted (${Math.round((accepted * 1000) / (Date.now() - started))}/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    child.kill('SIGTERM'); // close() flushes the producer: the clock stops when the process has sent everything
    await exited;
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    return { perSecond: accepted / seconds, accepted, requests, errors, seconds, cpuSeconds: last.cpuSeconds - before.cpuSeconds, peakRssMb: last.peakRssMb };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await sleep(100);
    }
  }
}
