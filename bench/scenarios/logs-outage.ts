import { ChildProcess, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lines, ROOT, say, spawnChild, waitForLine } from '../lib/child';
import { percentile, request, sleep } from '../lib/http';

const run = promisify(execFile);

/** The latest STATS line of a logs-app child. */
export interface AppStats {
  written: number;
  shipped: number;
  dropped: number;
  buffered: number;
}

/** A logs-app child (bench/ours/logs-app.ts) with its URL and its latest STATS. */
export interface LogsApp {
  child: ChildProcess;
  url: string;
  stats(): AppStats;
  stop(): Promise<void>;
}

export async function startLogsApp(label: string, env: Record<string, string>): Promise<LogsApp> {
  const child = spawnChild('ts', ['bench/ours/logs-app.ts'], { label, env });
  let latest: AppStats = { written: 0, shipped: 0, dropped: 0, buffered: 0 };
  lines(child.stdout!, (l) => {
    if (l.startsWith('STATS ')) latest = JSON.parse(l.slice(6));
    // Warnings and errors of the process (a consumer restarted, a send retried) explain a bad run.
    else if (/"level":(40|50|60)/.test(l)) say(`    [${label}] ${l.slice(0, 400)}`);
  });
  lines(child.stderr!, (l) => l.trim() && say(`    [${label} stderr] ${l.slice(0, 400)}`));
  const url = await waitForLine(child, 'READY', label, 180_000);
  return {
    child,
    url,
    stats: () => latest,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    }),
  };
}

/** Requests at a fixed rate (open loop, so a slow answer does not slow the offered load) for `ms`; latencies in ms. */
export async function steadyLoad(url: string, perSecond: number, ms: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const pending: Array<Promise<void>> = [];
  const began = Date.now();
  for (let i = 0; Date.now() - began < ms; i++) {
    const due = began + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const t = process.hrtime.bigint();
    pending.push(request(`${url}/social/feed?limit=20`, 'GET').then(
      (r) => (r.status === 200 ? latencies.push(Number(process.hrtime.bigint() - t) / 1e6) : errors++, undefined),
      () => void errors++,
    ));
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

export const p99 = (sorted: number[]) => percentile(sorted, 99);

/** The bench's own broker (scripts/kafka.sh on its own ports and data): stopping it disturbs no one else. */
export class OwnBroker {
  readonly brokers: string;
  private readonly env: NodeJS.ProcessEnv;
  constructor(port: number, controllerPort: number) {
    this.brokers = `localhost:${port}`;
    this.env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
  }
  async script(action: 'reset' | 'start' | 'stop'): Promise<void> {
    const began = Date.now();
    await run('bash', ['scripts/kafka.sh', action], { cwd: ROOT, env: this.env, timeout: 240_000 });
    say(`  own broker ${this.brokers}: ${action} took ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
}
