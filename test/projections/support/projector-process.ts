import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { KAFKA_BROKERS } from '../../e2e-env';
import type { Harness } from './harness';

const ROOT = resolve(__dirname, '../../..');

export interface ProjectorProcess {
  process: ChildProcess;
  lines: () => string[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Partitions of the last "assigned" line; null before the first rebalance. */
  assigned: () => number[] | null;
  /** How many "assigned" lines (rebalances this process took part in) so far. */
  rebalances: () => number;
}

/**
 * test/projections/child-projector.ts as its own process, so a signal reaches it wherever it is
 * (SIGKILL in a transaction, SIGSTOP holding partitions). stdin is a pipe for the zombie's gate.
 */
export function spawnProjector(h: Harness, env: Record<string, string>): ProjectorProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'test/projections/child-projector.ts'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: h.url, KAFKA_BROKERS: KAFKA_BROKERS.join(','), PREFIX: h.prefix, TOPIC: 'show_position', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const lines = () => out.split('\n').filter(Boolean);
  const assignments = () => lines().filter((l) => l.startsWith('assigned'));
  return {
    process: child,
    lines,
    stderr: () => err,
    exited: new Promise((res) => child.on('exit', (code) => res(code))),
    assigned: () => {
      const last = assignments().pop();
      if (last === undefined) return null;
      const list = last.slice('assigned'.length).trim();
      return list === '' ? [] : list.split(',').map(Number);
    },
    rebalances: () => assignments().length,
  };
}

/** Kills a child that may be stopped (SIGKILL reaches a SIGSTOPped process too) and waits for it. */
export async function killProjector(child: ProjectorProcess): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}
