import { resolve } from 'node:path';

/** Repository root: the runner spawns `node dist/...` and `bash scripts/kafka.sh` from here. */
export const ROOT = resolve(__dirname, '..');
/** chaos/logs, or CHAOS_LOG_DIR: two runs side by side (other --kafka-port and --base-port) keep their logs apart. */
export const LOG_DIR = process.env.CHAOS_LOG_DIR ? resolve(process.env.CHAOS_LOG_DIR) : resolve(__dirname, 'logs');
export const MAIN_JS = resolve(ROOT, 'dist/apps/streamfold/src/main.js');
export const CLI_JS = resolve(ROOT, 'dist/apps/streamfold/src/cli.js');

/**
 * Seeded PRNG (mulberry32): the schedule, the victims and the workload come from the printed
 * seed, so a failing run's fault sequence can be replayed with `--seed`.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    if (signal?.aborted) return res();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Run clock: every line and every fault is stamped with seconds since the chaos run started. */
export const clock = {
  t0: Date.now(),
  seconds(at = Date.now()): string {
    return ((at - this.t0) / 1000).toFixed(1).padStart(6);
  },
};

export function say(message: string): void {
  process.stdout.write(`[${clock.seconds()}s] ${message}\n`);
}

/** The relay's log order, as the framework defines it (@streamfold/core). */
export { compareSequence as compareSeq, parseSequence as parseSeq } from '@streamfold/core';
export type { LogSequence as Seq } from '@streamfold/core';
