import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile, sleep } from './http';
import { RESULTS } from './child';

/** fdatasync latency of the disk over one phase (ms). */
export interface DiskFigure {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Syncs that took 50 ms or more: stalls every durable commit meeting them waits out. */
  stalls: number;
}

const BLOCK = Buffer.alloc(8192, 1);

/**
 * Times an 8 kB write + fdatasync every `everyMs` on the repository's disk (where the broker's log
 * and, on this machine, PostgreSQL's WAL live), as a commit's WAL flush would be, on libuv's
 * threads so the load generator's loop never waits for it. A durable append cannot be acknowledged
 * faster than the disk syncs, so a phase whose syncs stall shows it in its acknowledgement tail.
 * About 20 syncs a second, against hundreds of PostgreSQL's own during a run.
 */
export class DiskProbe {
  private samples: number[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  private constructor(private readonly file: FileHandle, private readonly path: string, everyMs: number) {
    this.loop = this.run(everyMs);
  }

  static async start(everyMs = 50): Promise<DiskProbe> {
    const path = join(RESULTS, `.disk-probe-${process.pid}`);
    return new DiskProbe(await open(path, 'w'), path, everyMs);
  }

  private async run(everyMs: number): Promise<void> {
    while (this.running) {
      const began = performance.now();
      await this.file.write(BLOCK, 0, BLOCK.length, 0);
      await this.file.datasync();
      this.samples.push(performance.now() - began);
      await sleep(everyMs);
    }
  }

  /** The syncs since the last take (or the start), and starts a new phase. */
  take(): DiskFigure {
    const s = this.samples.splice(0).sort((a, b) => a - b);
    const round = (v: number) => Math.round(v * 10) / 10;
    return { count: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? NaN), stalls: s.filter((v) => v >= 50).length };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop.catch(() => undefined);
    await this.file.close();
    await rm(this.path, { force: true });
  }
}

export function formatDisk(d: DiskFigure): string {
  return `disk fdatasync p50 ${d.p50} / p99 ${d.p99} / max ${d.max} ms, ${d.stalls} of ${d.count} at 50 ms or more`;
}
