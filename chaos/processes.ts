import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOG_DIR, MAIN_JS, ROOT, say, sleep } from './util';

export interface ProcessSpec {
  /** api-1, relay-2, projections-1, ... (also the log file name) */
  name: string;
  roles: 'api' | 'relay' | 'projections';
  port: number;
  /** PostgreSQL pool size: kept small because the server (max_connections 100) is shared. */
  poolSize: number;
}

/**
 * One Streamfold process (`node dist/apps/streamfold/src/main.js` with PROCESS_ROLES=...). It plays the
 * supervisor a real deployment has: after a chaos SIGKILL it is restarted by the fault schedule;
 * if it exits by itself (e.g. startup refused while the broker restarts), it is restarted after
 * a second and the exit is counted, because a production supervisor would do the same.
 */
export type ExitKind = 'crash' | 'startup-refused' | 'external-signal';

export interface SelfExit {
  kind: ExitKind;
  what: string;
  at: number;
}

export class ServiceProcess {
  child: ChildProcess | null = null;
  starts = 0;
  kills = 0;
  /** Exits we did not cause, classified (see `classify`). */
  selfExits: SelfExit[] = [];
  /** Whether the current instance answered /health at least once. */
  serving = false;
  /** When each instance first answered /health (kept after it ends, for the fault report). */
  readonly servingSince = new WeakMap<ChildProcess, number>();
  private exited: Promise<void> = Promise.resolve();
  /** Set while we kill it on purpose, so the exit handler does not count or restart it. */
  private expectingExit = false;
  private stopped = false;

  constructor(readonly spec: ProcessSpec, private readonly env: Record<string, string>) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Why a process we did not kill ended: SIGTERM/SIGINT/SIGHUP is someone else stopping it
   * gracefully; exit code 1 before it ever served is the documented startup refusal (e.g. the
   * broker unreachable at boot); anything else after it served (an unhandled error) is a crash.
   */
  private classify(code: number | null, signal: NodeJS.Signals | null, served: boolean): ExitKind {
    if (signal === 'SIGTERM' || signal === 'SIGINT' || signal === 'SIGHUP') return 'external-signal';
    if (!served && code === 1) return 'startup-refused';
    return 'crash';
  }

  start(): void {
    if (this.stopped) return; // cleanup has begun: a pending restart must not bring it back
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: npm run build first`);
    const fd = openSync(resolve(LOG_DIR, `${this.spec.name}.log`), 'a');
    this.starts++;
    writeSync(fd, `\n--- chaos: start #${this.starts} of ${this.spec.name} at ${new Date().toISOString()} ---\n`);
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...this.env,
        PROCESS_ROLES: this.spec.roles,
        PORT: String(this.spec.port),
        DB_POOL_SIZE: String(this.spec.poolSize),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd); // the child has its own copy
    this.child = child;
    this.serving = false;
    if (child.pid) livePids.set(this.spec.name, child.pid);
    savePids();
    this.expectingExit = false;
    // Watch this instance come up, so an exit can be told apart (startup refusal vs crash).
    void this.waitServing(120_000).then((ok) => {
      if (ok && this.child === child) {
        this.serving = true;
        this.servingSince.set(child, Date.now());
      }
    });
    this.exited = new Promise<void>((res) =>
      child.on('exit', (code, signal) => {
        const served = this.serving;
        if (this.child === child) this.serving = false;
        res();
        if (this.expectingExit || this.stopped || this.child !== child) return;
        const kind = this.classify(code, signal, served);
        const what = `${this.spec.name} ${kind} (${signal ?? `exit code ${code}`}${served ? ' after serving' : ' before serving'})`;
        this.selfExits.push({ kind, what, at: Date.now() });
        say(`${kind === 'crash' ? 'ERROR' : 'WARN'} ${what}; restarting in 1 s (see chaos/logs/${this.spec.name}.log)`);
        setTimeout(() => {
          if (!this.stopped && this.child === child) this.start();
        }, 1000);
      }),
    );
  }

  /** SIGKILL by pid: no shutdown hooks, no flush, in-flight requests and batches cut short. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.kills++;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Polls /health until the process serves HTTP (any status: 503 means it runs but a dependency is down). */
  async waitServing(timeoutMs: number, requireHealthy = false): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.stopped) {
      if (!requireHealthy && this.serving) return true;
      try {
        const child = this.child;
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(4000) });
        await res.arrayBuffer();
        // Only the current instance listens on this port: it serves now.
        if (child && this.child === child && !this.servingSince.has(child)) {
          this.serving = true;
          this.servingSince.set(child, Date.now());
        }
        if (!requireHealthy || res.status === 200) return true;
      } catch {
        // not listening yet
      }
      await sleep(150);
    }
    return false;
  }

  /** End of run: SIGTERM (graceful), SIGKILL after 5 s. Only our own child, by its pid. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.running) return;
    this.expectingExit = true;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The system under test: 2 API processes, an active and a standby relay, 2 projection workers. */
export function systemSpecs(basePort: number): ProcessSpec[] {
  return [
    { name: 'api-1', roles: 'api', port: basePort, poolSize: 8 },
    { name: 'api-2', roles: 'api', port: basePort + 1, poolSize: 8 },
    { name: 'relay-1', roles: 'relay', port: basePort + 2, poolSize: 4 },
    { name: 'relay-2', roles: 'relay', port: basePort + 3, poolSize: 4 },
    { name: 'projections-1', roles: 'projections', port: basePort + 4, poolSize: 10 },
    { name: 'projections-2', roles: 'projections', port: basePort + 5, poolSize: 10 },
  ];
}

/**
 * Pids of the children we run, in chaos/logs/pids.json: if the runner itself is SIGKILLed its
 * children survive it, and the next run ends them (only those: same pid, still our main.js with
 * our broker in its environment), so no stale process keeps ports or connections.
 */
const PID_FILE = resolve(LOG_DIR, 'pids.json');
const livePids = new Map<string, number>();

function savePids(): void {
  writeFileSync(PID_FILE, JSON.stringify(Object.fromEntries(livePids)));
}

export function reapOrphans(brokers: string): string[] {
  let previous: Record<string, number> = {};
  try {
    previous = JSON.parse(readFileSync(PID_FILE, 'utf8'));
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const [name, pid] of Object.entries(previous)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (cmdline.includes(MAIN_JS) && environ.includes(`KAFKA_BROKERS=${brokers}`)) {
        process.kill(pid, 'SIGKILL');
        reaped.push(`${name}(${pid})`);
      }
    } catch {
      // gone already, or not ours
    }
  }
  writeFileSync(PID_FILE, '{}');
  return reaped;
}
