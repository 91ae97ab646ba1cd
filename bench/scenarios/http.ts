import { signToken } from '@streamfold/auth';
import { randomUUID } from 'node:crypto';
import { HOST_NODE_FLAGS, procSample, say, spawnChild, waitForLine } from '../lib/child';
import { percentile, request, sleep } from '../lib/http';
import { row } from '../lib/scenarios';
import type { Context } from './context';

const SECRET = 'bench-secret-at-least-16-chars';
const ADAPTERS = ['express', 'fastify'] as const;
type Adapter = (typeof ADAPTERS)[number];

interface AdapterRun {
  adapter: Adapter;
  /** At 1,000 requests/s: server CPU per request, cores, and latency. */
  cpuUsPerRequest: number;
  cores: number;
  p50: number;
  p99: number;
  achievedRate: number;
  /** 64 requests in flight: the most it serves, and its CPU per request there. */
  maxRate: number;
  cpuUsPerRequestAtMax: number;
  errors: number;
}

/**
 * http-adapter: the like command's HTTP layer (bench/ours/http-adapter-server.ts: route, bearer
 * guard, UUID pipe, ValidationPipe, CommandBus, a handler without I/O) on Nest's Express adapter,
 * which the host uses, against its Fastify adapter, in turns (express, fastify, express, fastify)
 * so a drift of the machine meets both. Each turn: a warm-up, 1,000 requests/s (the e2e target
 * rate: the server's CPU per request and the cores it takes), then 64 in flight (the most it
 * serves). The issue asked for this measurement before any change of adapter.
 */
export async function runHttpAdapter(ctx: Context): Promise<void> {
  const seconds = ctx.plan.quick ? 6 : 15;
  const tokens = Array.from({ length: 500 }, (_, i) => `Bearer ${signToken(SECRET, `u${i}`)}`);
  const posts = Array.from({ length: 20 }, () => randomUUID());
  const runs: AdapterRun[] = [];
  for (let turn = 0; turn < 2; turn++) {
    for (const adapter of ADAPTERS) runs.push(await measure(adapter, seconds, tokens, posts));
  }
  const mean = (adapter: Adapter, f: (r: AdapterRun) => number) => {
    const mine = runs.filter((r) => r.adapter === adapter);
    return mine.reduce((s, r) => s + f(r), 0) / mine.length;
  };
  const express = mean('express', (r) => r.cpuUsPerRequest);
  const fastify = mean('fastify', (r) => r.cpuUsPerRequest);
  ctx.rows['http-adapter'] = row(express, fastify, 'µs CPU per like request', 'the same route on @nestjs/platform-fastify 11 (Fastify 5)', false);
  const line = (a: Adapter) =>
    `${a} ${Math.round(mean(a, (r) => r.cpuUsPerRequest))} µs CPU per request at 1,000/s (${mean(a, (r) => r.cores).toFixed(2)} cores, p50 ${mean(a, (r) => r.p50).toFixed(1)} / p99 ${mean(a, (r) => r.p99).toFixed(1)} ms), at most ${Math.round(mean(a, (r) => r.maxRate))} requests/s with 64 in flight (${Math.round(mean(a, (r) => r.cpuUsPerRequestAtMax))} µs each)`;
  ctx.details['http-adapter'] = {
    target: 'measured (issue 17: measure a faster HTTP adapter before adopting it)',
    meetsTarget: null,
    cpuSeconds: null,
    peakRssMb: null,
    note: `the like route's HTTP layer without I/O (guard, pipes, CommandBus, 60 other routes), means of 2 turns of ${seconds} s per adapter: ${line('express')}; ${line('fastify')}`,
    extra: { runs },
  };
}

async function measure(adapter: Adapter, seconds: number, tokens: string[], posts: string[]): Promise<AdapterRun> {
  const child = spawnChild('ts', ['bench/ours/http-adapter-server.ts'], { nodeFlags: HOST_NODE_FLAGS, label: `http ${adapter}`, env: { ADAPTER: adapter, JWT_SECRET: SECRET } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    const url = await waitForLine(child, 'READY', `http ${adapter}`, 120000);
    let n = 0;
    let errors = 0;
    const like = async (): Promise<number> => {
      const i = n++;
      const sentAt = performance.now();
      try {
        const reply = await request(`${url}/social/posts/${posts[i % posts.length]}/like`, 'PUT', { authorization: tokens[i % tokens.length] });
        if (reply.status !== 204 && ++errors <= 3) say(`    ${adapter}: answered ${reply.status}: ${reply.body.slice(0, 200)}`);
      } catch (error) {
        if (++errors <= 3) say(`    ${adapter}: ${(error as Error).message}`);
      }
      return performance.now() - sentAt;
    };
    await paced(like, 1000, 3);
    const before = procSample(child.pid!).cpuSeconds;
    const paceStart = Date.now();
    const latencies = (await paced(like, 1000, seconds)).sort((a, b) => a - b);
    const elapsed = (Date.now() - paceStart) / 1000;
    const used = procSample(child.pid!).cpuSeconds - before;
    const beforeMax = procSample(child.pid!).cpuSeconds;
    const maxStart = Date.now();
    let served = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (Date.now() - maxStart < seconds * 1000) {
          await like();
          served++;
        }
      }),
    );
    const maxSeconds = (Date.now() - maxStart) / 1000;
    const usedMax = procSample(child.pid!).cpuSeconds - beforeMax;
    const run: AdapterRun = {
      adapter,
      cpuUsPerRequest: (used / latencies.length) * 1e6,
      cores: used / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      achievedRate: latencies.length / elapsed,
      maxRate: served / maxSeconds,
      cpuUsPerRequestAtMax: (usedMax / served) * 1e6,
      errors,
    };
    say(
      `  ${adapter}: at 1,000/s ${Math.round(run.cpuUsPerRequest)} µs CPU per request (${run.cores.toFixed(2)} cores, achieved ${Math.round(run.achievedRate)}/s, p50 ${run.p50.toFixed(1)} / p99 ${run.p99.toFixed(1)} ms); 64 in flight: ${Math.round(run.maxRate)} requests/s, ${Math.round(run.cpuUsPerRequestAtMax)} µs each; errors ${errors}`,
    );
    return run;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** `rate` requests a second for `seconds`, paced every 2 ms; the latency of each. */
async function paced(send: () => Promise<number>, rate: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  const started = Date.now();
  const total = rate * seconds;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000));
    while (sent < due) {
      sent++;
      pending.push(send().then((ms) => void latencies.push(ms)));
    }
    await sleep(2);
  }
  await Promise.all(pending);
  return latencies;
}
