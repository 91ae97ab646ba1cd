import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { CLI_JS, LOG_DIR, ROOT } from './util';

/** Runs a command to completion with its output appended to chaos/logs/<log>.log. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, log: string, timeoutMs: number): Promise<void> {
  const fd = openSync(resolve(LOG_DIR, `${log}.log`), 'a');
  writeSync(fd, `\n--- chaos: ${command} ${args.join(' ')} at ${new Date().toISOString()} ---\n`);
  return new Promise<void>((res, rej) => {
    // stdin ignored and stdout/stderr to a file: the broker that kafka.sh leaves in the
    // background holds none of our pipes, so 'exit' comes when the script is done.
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), closeSync(fd), rej(e)));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(fd);
      if (code === 0) res();
      else rej(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal} (see chaos/logs/${log}.log)`));
    });
  });
}

/**
 * The chaos run's own Kafka broker or three-node cluster (scripts/kafka.sh with KAFKA_PORT and
 * KAFKA_NODES): its data lives in .cache/kafka/run-<port>[-x3], so the developer's broker on 9092
 * and its topics are never touched, and a broker restart here disturbs nobody else.
 */
export class Broker {
  readonly brokers: string;
  private readonly env: NodeJS.ProcessEnv;
  started = false;
  /** Operations run one after the other; once closed (cleanup), a pending restart does nothing. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** A cluster's controllers listen right after its brokers: port .. port+nodes-1, then the controllers. */
  constructor(port: number, controllerPort: number, readonly nodes: 1 | 3 = 1) {
    this.brokers = [...Array(nodes).keys()].map((i) => `localhost:${port + i}`).join(',');
    this.env = { ...process.env, KAFKA_NODES: String(nodes), KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(nodes === 1 ? controllerPort : port + nodes) };
  }

  private script(action: 'reset' | 'start' | 'stop' | 'restart' | 'kill-node' | 'start-node', node?: number): Promise<void> {
    const next = this.queue.then(() => {
      if (this.closed && action !== 'stop') throw new Error(`broker closed: not running kafka.sh ${action}`);
      // Generous: a node took over 3 minutes to start on a machine with a load average of 45.
      return run('bash', ['scripts/kafka.sh', action, ...(node ? [String(node)] : [])], this.env, 'kafka', 300_000);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Clean slate (no topics, no groups from an earlier run), then start. */
  async startFresh(): Promise<void> {
    await this.script('reset');
    this.started = true;
    await this.script('start');
  }

  /** Graceful stop and start on the same data: the fault the issue asks for once per run. */
  restart(): Promise<void> {
    return this.script('restart');
  }

  /** SIGKILL of one node of the cluster: no controlled shutdown, its partitions' leaders move by election. */
  killNode(node: number): Promise<void> {
    return this.script('kill-node', node);
  }

  startNode(node: number): Promise<void> {
    return this.script('start-node', node);
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (!this.started) return;
    await this.script('stop');
    this.started = false;
  }
}

const ADMIN_URL = process.env.CHAOS_DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A database of its own on the shared PostgreSQL server (like test/e2e-env.ts). The server is
 * shared, so it is never restarted: the database fault terminates every connection to this
 * database instead, which is what a restart looks like to the processes.
 */
export class ChaosDatabase {
  readonly name = `sf_chaos_${randomBytes(4).toString('hex')}`;
  readonly url: string;
  created = false;
  /** Small pool for the runner's own queries (progress, catch-up, verification). */
  private pool: Pool | null = null;

  constructor() {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${this.name}`;
    this.url = url.toString();
  }

  private async admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  async create(): Promise<void> {
    await this.admin((c) => c.query(`CREATE DATABASE ${this.name}`));
    this.created = true;
  }

  /** Migrations and topics through the project's own CLI, as an operator would run them. */
  async prepare(env: Record<string, string>): Promise<void> {
    const full = { PATH: process.env.PATH ?? '', ...env };
    await run(process.execPath, [CLI_JS, 'migrate', 'up'], full, 'setup', 120_000);
    await run(process.execPath, [CLI_JS, 'topics', 'setup'], full, 'setup', 120_000);
  }

  get queries(): Pool {
    if (!this.pool) {
      this.pool = new Pool({ connectionString: this.url, max: 3, application_name: 'streamfold-chaos' });
      // The database fault terminates these connections too: an idle client's error must not
      // crash the runner (pg emits 'error' on the pool); the next query opens a new connection.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /**
   * The database fault: ends every other session of this database at once (pools, the relay's
   * lease connection, LISTEN connections), as a PostgreSQL restart would. Returns how many.
   */
  async terminateConnections(): Promise<number> {
    const c = new Client({ connectionString: this.url, application_name: 'streamfold-chaos-fault' });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      return rows[0].n;
    } finally {
      await c.end();
    }
  }

  /** Sessions in a transaction or waiting, for the report of a run that did not catch up (a stuck lock shows here). */
  async busySessions(): Promise<string[]> {
    const { rows } = await this.queries.query(
      `SELECT application_name, state, wait_event_type, wait_event, round(extract(epoch FROM now() - xact_start))::int AS xact_s, left(query, 120) AS query
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state <> 'idle' OR xact_start IS NOT NULL)`,
    );
    return rows.map((r) => `${r.application_name || '?'} ${r.state} wait=${r.wait_event_type ?? '-'}/${r.wait_event ?? '-'} xact=${r.xact_s ?? '-'}s: ${r.query}`);
  }

  async close(drop: boolean): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    this.pool = null;
    if (drop && this.created) {
      await this.admin((c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
      this.created = false;
    }
  }
}

/** `cli projections status`, the operator's view of lag, printed once caught up. */
export function projectionsStatus(env: Record<string, string>): Promise<string> {
  return new Promise((res) =>
    execFile(process.execPath, [CLI_JS, 'projections', 'status'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      res(error ? `(projections status failed: ${stderr.trim() || error.message})` : stdout.trim()),
    ),
  );
}
