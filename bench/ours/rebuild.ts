import { KafkaMessageLog } from '@streamfold/messaging';
import { rebuildProjection } from '@streamfold/projections';
import { Database, loadConfig } from '@streamfold/runtime';
import { postCountsProjection } from '../../apps/social/src/read-models/post-counts.projection';
import { cpuMark, env, progress, quietLogger, resources, result } from '../lib/self';

/**
 * rebuild: rebuildProjection({from: 'kafka'}) of the like counts over the N events the fold
 * scenario left on the likes topic, into a new version beside the live one, then the swap.
 * graceMs 0: no live runner has to follow, so the figure is replay + swap only.
 */
async function main() {
  const url = env('DB_URL');
  const n = Number(env('N'));
  const db = new Database(url, Number(env('POOL', '10')), false);
  const log = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-rebuild', prefix: env('PREFIX') });
  const mark = cpuMark();
  let lastReport = 0;
  const outcome = await rebuildProjection({
    db, log, definition: postCountsProjection, from: 'kafka', graceMs: 0, logger: quietLogger, pollMs: 250,
    synchronousCommit: loadConfig(process.env).projectionsSynchronousCommit,
    onProgress: (p) => {
      if (Date.now() - lastReport < 3000) return;
      lastReport = Date.now();
      progress(`progress rebuilt ${p.processed}/${p.total} (${Math.round(p.eventsPerSecond)} events/s)`);
    },
  });
  const used = resources(mark);
  const likes = Number((await db.query(`SELECT coalesce(sum(likes), 0)::bigint AS n FROM social_posts_v${outcome.version}`)).rows[0].n);
  await log.close();
  await db.close();
  if (likes !== n) throw new Error(`rebuilt read model holds ${likes} likes, expected ${n}`);
  const seconds = outcome.durationMs / 1000;
  result({ eventsPerSecond: outcome.processed / seconds, events: outcome.processed, seconds, version: outcome.version, likes, phases: outcome.phases, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
