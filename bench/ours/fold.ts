import { KafkaMessageLog } from '@streamfold/messaging';
import { ProjectionRunner } from '@streamfold/projections';
import { Database, loadConfig, migrateUp } from '@streamfold/runtime';
import { postCountsProjection } from '../../apps/social/src/read-models/post-counts.projection';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { cpuMark, env, every, progress, quietLogger, resources, result } from '../lib/self';

/**
 * fold: the like-count read model (social.post_counts) consumes N PostLiked events from the
 * 32-partition likes topic, exactly once (read model + checkpoint in one transaction per batch).
 * Timed from start() until the checkpoints cover all N; then the read model is checked (sum = N).
 */
async function main() {
  const url = env('DB_URL');
  const n = Number(env('N'));
  await migrateUp(url, MIGRATIONS);
  const db = new Database(url, Number(env('POOL', '10')), false);
  const log = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-fold', prefix: env('PREFIX') });
  // As the host runs it: PROJECTIONS_SYNCHRONOUS_COMMIT=true measures batches that wait for their flush.
  const runner = new ProjectionRunner(db, log, postCountsProjection, { logger: quietLogger, followActive: false, synchronousCommit: loadConfig(process.env).projectionsSynchronousCommit });
  const mark = cpuMark();
  const started = Date.now();
  await runner.start();
  const applied = async () => Number((await db.query(`SELECT coalesce(sum(next_offset), 0)::bigint AS n FROM sf_checkpoints WHERE consumer = $1`, [runner.consumerId])).rows[0].n);
  let done = 0;
  let first = 0;
  const stopProgress = every(3000, () => progress(`progress folded ${runner.stats().processed}/${n} (${Math.round((runner.stats().processed * 1000) / (Date.now() - started))} events/s)`));
  while ((done = await applied()) < n) {
    if (!first && done > 0) first = Date.now();
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - started) / 1000;
  const used = resources(mark);
  stopProgress();
  await runner.stop();
  const likes = Number((await db.query(`SELECT coalesce(sum(likes), 0)::bigint AS n FROM social_posts`)).rows[0].n);
  await log.close();
  await db.close();
  if (likes !== n) throw new Error(`read model holds ${likes} likes, expected ${n}: exactly-once violated`);
  result({ eventsPerSecond: n / seconds, events: n, seconds, secondsFromFirstCommit: first ? (Date.now() - first) / 1000 : null, likes, batches: runner.stats().batches, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
