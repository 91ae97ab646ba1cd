import { UsageError } from '@streamfold/runtime';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { join } from 'node:path';
import { movieflixDataDir } from '../catalog/catalog';
import { evaluateLeaveOneOut, EvaluationResult } from '../domain/evaluation/leave-one-out';
import { DEFAULT_PARAMS } from '../domain/recommender/co-watch';
import { readRatingsFile } from './ratings-file';

interface EvaluateFlags {
  ratings?: string;
  seed?: number;
}

/**
 * `cli movieflix evaluate --ratings <file> [--seed 1]`: leave-one-out with 100 sampled negatives,
 * HR@10 and NDCG@10 of the recommender (replayed through the processor's own fold) and of
 * most-popular, in one run.
 */
@SubCommand({ name: 'evaluate', description: 'HR@10 and NDCG@10 of the recommender and of TopPop on a MovieLens ratings file (leave-one-out, 100 sampled negatives)' })
export class EvaluateCommand extends CommandRunner {
  async run(_: string[], flags: EvaluateFlags): Promise<void> {
    const path = flags.ratings ?? join(movieflixDataDir(), 'ratings.csv.gz');
    const started = Date.now();
    const input = readRatingsFile(path);
    const genres = new Map(input.movies.map((m) => [m.itemId, m.genres]));
    process.stderr.write(`read ${input.records.length} ratings from ${path} (genres: ${input.genresFrom}) in ${Date.now() - started} ms\n`);
    const result = evaluateLeaveOneOut(input.records, (id) => genres.get(id) ?? [], {
      seed: flags.seed ?? 1,
      onProgress: (phase, done, total) => process.stderr.write(`\r${phase.padEnd(6)} ${String(done).padStart(7)}/${total} (${((100 * done) / Math.max(1, total)).toFixed(0)}%) ${((Date.now() - started) / 1000).toFixed(1)}s   ${done === total ? '\n' : ''}`),
    });
    console.log(report(result, flags.seed ?? 1, (Date.now() - started) / 1000));
  }

  @Option({ flags: '--ratings <file>', description: 'ratings.csv or u.data, plain or .gz (default: the vendored MovieLens latest-small)' })
  parseRatings(value: string): string {
    return value;
  }

  @Option({ flags: '--seed <n>', description: 'seed of the negative sampling (default 1)' })
  parseSeed(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError('--seed must be a non-negative integer');
    return n;
  }
}

function report(r: EvaluationResult, seed: number, seconds: number): string {
  const row = (name: string, m: { hr: number; ndcg: number }) => `${name.padEnd(22)} ${m.hr.toFixed(4).padStart(7)}  ${m.ndcg.toFixed(4).padStart(8)}`;
  return [
    `users ${r.users}, items ${r.items}, replayed interactions ${r.trainInteractions}, seed ${seed}, ${seconds.toFixed(1)} s`,
    `${'model'.padEnd(22)} ${'HR@10'.padStart(7)}  ${'NDCG@10'.padStart(8)}`,
    row('co-watch (ours)', r.ours),
    row('TopPop', r.topPop),
    `ours / TopPop HR@10 = ${(r.ours.hr / r.topPop.hr).toFixed(3)}×`,
    `params ${JSON.stringify(DEFAULT_PARAMS)}`,
  ].join('\n');
}
