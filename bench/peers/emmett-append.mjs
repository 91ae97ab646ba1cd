// Peer of "append": Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql), same loop
// as bench/ours/append.ts: one event per append, a new stream each time, WRITERS concurrent writers.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';

const url = process.env.DB_URL;
const writers = Number(process.env.WRITERS ?? 32);
const warmupMs = Number(process.env.WARMUP_MS ?? 2000);
const durationMs = Number(process.env.DURATION_MS ?? 10000);

const pool = new pg.Pool({ connectionString: url, max: writers });
const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
await store.schema.migrate();
const posts = Array.from({ length: 1000 }, () => randomUUID());
let measuring = false;
let stopping = false;
let count = 0;
let total = 0;
const worker = async (w) => {
  for (let i = 0; !stopping; i++) {
    const postId = posts[(w * 7919 + i) % posts.length];
    await store.appendToStream(`like-${postId}-u${w}_${i}`, [{ type: 'PostLiked', data: { postId, userId: `u${w}_${i}` } }], {
      expectedStreamVersion: STREAM_DOES_NOT_EXIST,
    });
    total++;
    if (measuring) count++;
  }
};
const running = Array.from({ length: writers }, (_, w) => worker(w));
await new Promise((r) => setTimeout(r, warmupMs));
const mark = process.cpuUsage();
const started = Date.now();
measuring = true;
let last = 0;
const timer = setInterval(() => {
  console.log(`progress ${Math.round(((count - last) * 1000) / 3000)} appends/s (${count} measured)`);
  last = count;
}, 3000);
await new Promise((r) => setTimeout(r, durationMs));
measuring = false;
const seconds = (Date.now() - started) / 1000;
const cpu = process.cpuUsage(mark);
stopping = true;
clearInterval(timer);
await Promise.all(running);
await store.close();
await pool.end().catch(() => undefined);
console.log(
  `RESULT ${JSON.stringify({ appendsPerSecond: count / seconds, appends: count, total, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 })}`,
);
process.exit(0);
