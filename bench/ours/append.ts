import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@streamfold/eventstore';
import { Database, migrateUp } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { cpuMark, env, every, progress, resources, result } from '../lib/self';

/**
 * append: one PostLiked per append, each to a new stream ('no_stream'), from WRITERS concurrent
 * writers, for DURATION_MS after WARMUP_MS. The peer (peers/emmett-append.mjs) runs the same loop.
 */
async function main() {
  const url = env('DB_URL');
  const writers = Number(env('WRITERS', '32'));
  const warmupMs = Number(env('WARMUP_MS', '2000'));
  const durationMs = Number(env('DURATION_MS', '10000'));
  await migrateUp(url, MIGRATIONS);
  const db = new Database(url, writers, false);
  const store = new PostgresEventStore(db);
  const posts = Array.from({ length: 1000 }, () => randomUUID());
  let measuring = false;
  let stopping = false;
  let count = 0;
  let total = 0;
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      const postId = posts[(w * 7919 + i) % posts.length];
      await store.append(`like-${postId}-u${w}_${i}`, [{ type: 'social.PostLiked', data: { postId, userId: `u${w}_${i}` } }], { expectedVersion: 'no_stream' });
      total++;
      if (measuring) count++;
    }
  };
  const running = Array.from({ length: writers }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, warmupMs));
  const mark = cpuMark();
  const started = Date.now();
  measuring = true;
  let last = 0;
  const stopProgress = every(3000, () => {
    progress(`progress ${Math.round(((count - last) * 1000) / 3000)} appends/s (${count} measured)`);
    last = count;
  });
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const seconds = (Date.now() - started) / 1000;
  const used = resources(mark);
  stopping = true;
  stopProgress();
  await Promise.all(running);
  await db.close();
  result({ appendsPerSecond: count / seconds, appends: count, total, seconds, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
