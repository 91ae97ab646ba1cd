import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root (bench/ lives directly under it). */
export const ROOT = resolve(__dirname, '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results');
export const PROFILES = join(RESULTS, 'profiles');

/** What a measured child reports about itself on its RESULT line. */
export interface Resources {
  /** CPU seconds (user + system) over the measured phase. */
  cpuSeconds: number;
  /** Peak resident set of the process, MB (VmHWM). */
  peakRssMb: number;
}

export interface ChildOptions {
  label: string;
  env?: Record<string, string>;
  /** Adds --cpu-prof (our code only) so `bench/profile-summary.ts` can say where the time goes. */
  profile?: boolean;
  timeoutMs?: number;
  /** Flags for node itself (e.g. HOST_NODE_FLAGS). @default none */
  nodeFlags?: string[];
}

/**
 * The flags `npm start` runs the host process with (package.json): the bench's host runs the same
 * way. BENCH_HOST_NODE_FLAGS (space-separated) replaces them, to measure another setting.
 */
export const HOST_NODE_FLAGS = process.env.BENCH_HOST_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? ['--max-semi-space-size=64'];

export type Runner = 'ts' | 'node' | 'java';

/**
 * Runs one measured program in its own process so its CPU time and peak RSS are its own. The child
 * prints progress lines (forwarded, prefixed) and one `RESULT {json}` line at the end.
 */
export function runChild<T>(runner: Runner, args: string[], options: ChildOptions): Promise<T> {
  const child = spawnChild(runner, args, options);
  return collect<T>(child, options);
}

export function spawnChild(runner: Runner, args: string[], options: ChildOptions): ChildProcess {
  let command: string;
  let argv: string[];
  if (runner === 'java') {
    command = 'java';
    argv = args;
  } else {
    command = process.execPath;
    const prof = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${options.label}-${Date.now()}.cpuprofile`] : [];
    if (options.profile) mkdirSync(PROFILES, { recursive: true });
    const ts = runner === 'ts' ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] : [];
    argv = [...(options.nodeFlags ?? []), ...prof, ...ts, ...args];
  }
  return spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect<T>(child: ChildProcess, options: ChildOptions): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    let result: T | undefined;
    let stderrTail = '';
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
    lines(child.stdout!, (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as T;
      else if (line.trim()) say(`  [${options.label}] ${line}`);
    });
    lines(child.stderr!, (line) => {
      stderrTail = (stderrTail + line + '\n').slice(-4000);
      if (/progress|counted|records sent/i.test(line)) say(`  [${options.label}] ${line}`);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (result !== undefined && code === 0) resolvePromise(result);
      else reject(new Error(`${options.label} exited with ${signal ?? code}${result === undefined ? ' without a RESULT line' : ''}\n${stderrTail}`));
    });
  });
}

/** Waits for a line starting with `prefix` (e.g. READY) and returns the rest of it. */
export function waitForLine(child: ChildProcess, prefix: string, label: string, timeoutMs = 120000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let stderrTail = '';
    const timer = setTimeout(() => reject(new Error(`${label}: no ${prefix} line after ${timeoutMs} ms\n${stderrTail}`)), timeoutMs);
    lines(child.stdout!, (line) => {
      if (line.startsWith(prefix)) {
        clearTimeout(timer);
        resolvePromise(line.slice(prefix.length).trim());
      }
    });
    lines(child.stderr!, (line) => (stderrTail = (stderrTail + line + '\n').slice(-4000)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before ${prefix}\n${stderrTail}`));
    });
  });
}

export function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  });
}

/** CPU seconds and peak RSS of any live process (Java peers included), read from /proc. */
export function procSample(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 Hz on Linux)
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
