import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}
