import { Presets, SingleBar } from 'cli-progress';
import type { RebuildProgress } from './rebuild';

/** Shows a rebuild's progress to an operator (progressBar draws one on a terminal). */
export interface ProgressReporter {
  /** Pass as RebuildOptions.onProgress. */
  onProgress(progress: RebuildProgress): void;
  /** Ends the bar (call in finally, so an error message starts on a fresh line). */
  stop(): void;
}

/**
 * A progress bar on stderr (stdout stays free for the result) with count, rate and ETA. The ETA
 * is the remaining estimate over the average rate; the total grows while events keep flowing.
 * @param stream @default process.stderr
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const bar = new SingleBar(
    {
      stream,
      format: '{projection} v{version} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_text} | {phase}',
      hideCursor: true,
      // Redrawn by the rebuild's own reports, not on a timer, so a non-TTY log gets one line per report at most.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(p) {
      const payload = { projection: p.projection, version: p.version, phase: p.phase, rate: Math.round(p.eventsPerSecond), eta_text: eta(p) };
      if (!started) {
        bar.start(p.total, p.processed, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.processed, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** "1m05s", "12s", or "-" when the rate is unknown. */
export function eta(p: Pick<RebuildProgress, 'processed' | 'total' | 'eventsPerSecond'>): string {
  if (p.eventsPerSecond <= 0) return '-';
  const seconds = Math.ceil(Math.max(p.total - p.processed, 0) / p.eventsPerSecond);
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
