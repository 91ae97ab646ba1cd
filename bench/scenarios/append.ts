import { runChild, say } from '../lib/child';
import { row } from '../lib/scenarios';
import type { Context } from './context';

interface AppendResult {
  appendsPerSecond: number;
  appends: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/** append: ours and Emmett, one after the other, each on its own fresh database on the same server. */
export async function runAppend(ctx: Context): Promise<void> {
  const env = { WRITERS: '32', WARMUP_MS: '2000', DURATION_MS: String(ctx.plan.appendSeconds * 1000) };
  const ours = await runChild<AppendResult>('ts', ['bench/ours/append.ts'], { label: 'ours', profile: ctx.profile, env: { ...env, DB_URL: await ctx.db('sf_bench_append') } });
  say(`  ours: ${Math.round(ours.appendsPerSecond)} appends/s`);
  const peer = await runChild<AppendResult>('node', ['bench/peers/emmett-append.mjs'], { label: 'emmett', env: { ...env, DB_URL: await ctx.db('sf_bench_emmett') } });
  say(`  emmett: ${Math.round(peer.appendsPerSecond)} appends/s`);
  const r = row(ours.appendsPerSecond, peer.appendsPerSecond, 'appends/s', 'Emmett PostgreSQL event store 0.42', true);
  ctx.rows.append = r;
  ctx.details.append = {
    target: '≥ 1.5× Emmett', meetsTarget: (r.ratio ?? 0) >= 1.5, cpuSeconds: ours.cpuSeconds, peakRssMb: ours.peakRssMb,
    note: `32 concurrent writers, 1 event per append to a new stream, ${ctx.plan.appendSeconds} s each after 2 s warm-up; Emmett CPU ${peer.cpuSeconds.toFixed(1)} s, RSS ${Math.round(peer.peakRssMb)} MB`,
    extra: { ours, peer },
  };
}
