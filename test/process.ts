import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
export const MAIN = resolve(ROOT, 'dist/apps/streamfold/src/main.js');

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a compiled entry point (run `npm run build` first; scripts/test.sh does). */
export function spawnNode(script: string, env: Record<string, string>, args: string[] = []): Spawned {
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" first`);
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Awaits what a test waits for from a spawned server; on failure the error carries the end of the
 * server's output, the only trace of why it never answered (read when it fails, not before).
 */
export async function withServerOutput<T>(server: Spawned, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- server stderr (end) ---\n${server.stderr().slice(-2000)}\n--- server stdout (end) ---\n${server.stdout().slice(-1000)}`);
  }
}

/**
 * A port the OS says is free right now (listen on 0, read it, close). A random number in a range
 * collided now and then with a port in use, such as an ephemeral port of one of the suite's
 * Kafka or PostgreSQL connections, and the server under test then never answered.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}
