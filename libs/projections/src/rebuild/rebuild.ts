import type { MessageLog } from '@streamfold/messaging';
import type { Database } from '@streamfold/runtime';
import type { ProjectionDefinition } from '../projection';
import { consumerId } from '../runner/consumer-id';
import { describeLag, partitionLag } from '../runner/lag';
import type { RunnerLogger } from '../runner/partition-processor';
import { ProjectionRunner } from '../runner/projection-runner';
import { RetryPolicy, sleep } from '../runner/retry-policy';
import { ensureVersion, lockProjection } from '../runner/versions';
import { EventRoute, ReadAll, replayFromStore } from './replay-from-store';
import { swapVersion } from './swap';

/** How long the rebuild's fetches wait at the broker once caught up (the stop waits for one). */
const REBUILD_FETCH_WAIT_MS = 100;

/** What rebuildProjection reports to onProgress at every poll and at each change of phase. */
export interface RebuildProgress {
  projection: string;
  version: number;
  phase: 'event-store' | 'kafka' | 'swapped' | 'done';
  /** Events folded so far (store events plus Kafka messages settled). */
  processed: number;
  /** Estimate: store events read plus the messages Kafka holds now; grows while events keep flowing. */
  total: number;
  eventsPerSecond: number;
  elapsedMs: number;
}

/** What to rebuild, from where (Kafka, or the event store when retention dropped data), and its bounds. */
export interface RebuildOptions {
  db: Database;
  log: MessageLog;
  definition: ProjectionDefinition;
  /** 'kafka' folds the topics from their earliest offset; 'event-store' folds readAll first, then Kafka. */
  from: 'kafka' | 'event-store';
  /** Required with from 'event-store': EventStore.readAll. */
  readAll?: ReadAll;
  /** Topic and key the relay gives a stored event. @default the projection's first topic, keyed by streamId */
  route?: EventRoute;
  onProgress?(progress: RebuildProgress): void;
  /** How long the rebuild keeps consuming after the swap, until the live runner has followed. @default 5000 */
  graceMs?: number;
  /**
   * Interval of the progress report, and the longest wait between catch-up checks (a check also
   * follows the commit that reaches the end offsets). @default 250
   */
  pollMs?: number;
  /**
   * How long the swap may hold the live version still while the new one reaches it.
   * @default 5000, or 0 on embedded PostgreSQL (one transaction at a time: waiting would stall every writer)
   */
  swapWaitMs?: number;
  /** Give up (the version is marked 'failed') after this long; 0 waits forever. @default 0 */
  timeoutMs?: number;
  /** Events per readAll page and per transaction in the event-store phase. @default 1000 */
  storeBatchSize?: number;
  /** Rebuild from Kafka even though retention dropped the start of a topic. @default false */
  allowMissingHistory?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Messages per transaction at most. @default the runner's (2000) */
  maxBatchSize?: number;
  /**
   * Whether the batches read from Kafka wait for their WAL flush (ProjectionRunnerOptions.synchronousCommit).
   * The event store's pages and the swap always wait. @default false
   */
  synchronousCommit?: boolean;
  /** @default console */
  logger?: RunnerLogger;
  /** Aborting stops the rebuild before the swap and marks the version 'failed'. */
  signal?: AbortSignal;
}

/** The version a rebuild built and activated, and the one it replaced. */
export interface RebuildResult {
  projection: string;
  version: number;
  previousVersion: number | null;
  processed: number;
  durationMs: number;
  /**
   * Where durationMs went: creating the version and its tables (`prepareMs`), folding the event
   * store with from 'event-store' (`storeMs`, else 0), folding Kafka until the checkpoints reached
   * the end offsets (`foldMs`), the swap transaction (`swapMs`, which may wait for the new version
   * to pass the live one), and the grace period and the runner's stop (`stopMs`).
   */
  phases: { prepareMs: number; storeMs: number; foldMs: number; swapMs: number; stopMs: number };
}

/**
 * A rebuild that cannot go on (missing readAll, history dropped by retention, aborted, not caught up
 * in time); the live version keeps serving readers. Its message says what to do instead.
 */
export class RebuildError extends Error {
  override name = 'RebuildError';
}

/**
 * Folds the whole log into version n+1 beside the live version n, then swaps the reader views in
 * one transaction once it is caught up (invariant 5 of docs/architecture.md). The fold uses the very runner the
 * live process uses, so the new model is what live processing would have built.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, log, definition } = options;
  if (options.from === 'event-store' && !options.readAll) throw new RebuildError(`rebuild of ${definition.name} from the event store needs readAll`);
  if (options.from === 'kafka' && !options.allowMissingHistory) await assertFullHistory(log, definition);
  const started = Date.now();
  const { previous, version } = await createVersion(db, definition);
  const consumer = consumerId(definition.name, version);
  let storeEvents = 0;
  let runner: ProjectionRunner | null = null;
  const report = async (phase: RebuildProgress['phase'], total?: number) => {
    const processed = storeEvents + (runner?.stats().processed ?? 0);
    const estimate = total ?? storeEvents + (await heldMessages(log, definition.topics));
    const elapsedMs = Date.now() - started;
    options.onProgress?.({ projection: definition.name, version, phase, processed, total: Math.max(estimate, processed), eventsPerSecond: elapsedMs > 0 ? (processed * 1000) / elapsedMs : 0, elapsedMs });
    return processed;
  };
  try {
    await ensureVersion(db, definition, version);
    const preparedAt = Date.now();
    if (options.from === 'event-store') {
      await replayFromStore({
        db, log, definition, version,
        readAll: options.readAll!,
        route: options.route ?? ((event) => ({ topic: definition.topics[0], key: event.streamId })),
        batchSize: options.storeBatchSize ?? 1000,
        onBatch: (events) => {
          storeEvents = events;
          void report('event-store', events).catch(() => undefined);
        },
      });
    }
    const storeReadAt = options.from === 'event-store' ? Date.now() : preparedAt;
    runner = new ProjectionRunner(db, log, definition, {
      version, followActive: false, fromBeginning: true, retry: options.retry, maxBatchSize: options.maxBatchSize, logger: options.logger,
      synchronousCommit: options.synchronousCommit,
      // Stopped once swapped (and the grace over): a caught-up fetch would hold the stop for the
      // log's default wait (500 ms on Kafka), a twentieth of a million-event rebuild.
      fetchMaxWaitMs: REBUILD_FETCH_WAIT_MS,
    });
    let caughtUpAt: number;
    let swappedAt: number;
    await runner.start();
    try {
      caughtUpAt = await foldUntilSwapped(options, runner, previous, version, consumer, started, () => report('kafka'));
      swappedAt = Date.now();
      await report('swapped');
      // The live runner notices the swap within its follow interval; until it has switched, this
      // runner keeps the new version current, so readers of the view never wait for a restart.
      await sleep(options.graceMs ?? 5000);
    } finally {
      await runner.stop();
    }
    const processed = await report('done');
    const ended = Date.now();
    const phases = {
      prepareMs: preparedAt - started,
      storeMs: storeReadAt - preparedAt,
      foldMs: caughtUpAt - storeReadAt,
      swapMs: swappedAt - caughtUpAt,
      stopMs: ended - swappedAt,
    };
    return { projection: definition.name, version, previousVersion: previous, processed, durationMs: ended - started, phases };
  } catch (error) {
    await db.query(`UPDATE sf_projection_versions SET status = 'failed' WHERE name = $1 AND version = $2 AND status = 'building'`, [definition.name, version]).catch(() => undefined);
    throw error;
  }
}

/**
 * Caught up means: at the end offsets taken when the check began. The end moves while events flow,
 * so the target is kept until reached rather than re-read every time; the swap then makes the
 * hand-over exact against the live version. Between checks the rebuild waits for the runner's
 * commits, so the check that finds it caught up comes with the commit that got there, not up to
 * a poll interval later; the checkpoints in PostgreSQL decide. Resolves with when it caught up.
 */
async function foldUntilSwapped(options: RebuildOptions, runner: ProjectionRunner, previous: number | null, version: number, consumer: string, started: number, report: () => Promise<number>): Promise<number> {
  const { db, log, definition } = options;
  const pollMs = options.pollMs ?? 250;
  let target: Map<string, number> | null = null;
  for (;;) {
    if (options.signal?.aborted) throw new RebuildError(`rebuild of ${definition.name} v${version} aborted`);
    await report();
    const lags = await partitionLag(db.pool, log, consumer, definition.topics);
    if (options.timeoutMs && Date.now() - started > options.timeoutMs) {
      throw new RebuildError(`rebuild of ${definition.name} v${version} not caught up after ${options.timeoutMs} ms: ${describeLag(lags)}`);
    }
    // An empty partition's end is 0: nothing to read there.
    target ??= new Map(lags.map((l) => [`${l.topic}:${l.partition}`, l.high > l.low ? l.high : 0]));
    const reached = lags.every((l) => l.lag === 0 || Math.max(l.nextOffset ?? l.low, l.low) >= (target!.get(`${l.topic}:${l.partition}`) ?? 0));
    if (reached) {
      const caughtUpAt = Date.now();
      const outcome = await swapVersion(db, definition, previous, version, options.swapWaitMs ?? (db.embedded ? 0 : 5000));
      if (outcome.swapped) return caughtUpAt;
      options.logger?.log(`${definition.name}: not swapping yet, ${outcome.reason}`);
      target = null;
      await sleep(pollMs);
    } else if (covers(runner.committedOffsets(), target)) {
      // The runner's own commits cover the end but the checkpoints do not (another instance
      // holds a partition): waiting for commits would not help, so the next check is a poll away.
      await sleep(pollMs);
    } else {
      await untilCommitted(runner, target, pollMs);
    }
  }
}

/** True when `committed` reaches every end of `target`. */
function covers(committed: ReadonlyMap<string, number>, target: Map<string, number>): boolean {
  for (const [key, end] of target) if (end > 0 && (committed.get(key) ?? 0) < end) return false;
  return true;
}

/** Waits until the runner's commits cover `target`, at most `ms`. */
async function untilCommitted(runner: ProjectionRunner, target: Map<string, number>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!covers(runner.committedOffsets(), target)) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    await runner.nextCommit(left);
  }
}

async function createVersion(db: Database, definition: ProjectionDefinition): Promise<{ previous: number | null; version: number }> {
  return db.transaction(async (sql) => {
    await lockProjection(sql, definition.name);
    const active = await sql.query(`SELECT active_version FROM sf_projections WHERE name = $1`, [definition.name]);
    const previous = active.rowCount === 0 ? null : Number(active.rows[0].active_version);
    const max = await sql.query(`SELECT coalesce(max(version), 0) AS v FROM sf_projection_versions WHERE name = $1`, [definition.name]);
    const version = Math.max(Number(max.rows[0].v), previous ?? 0) + 1;
    await sql.query(`INSERT INTO sf_projection_versions (name, version, status) VALUES ($1, $2, 'building')`, [definition.name, version]);
    return { previous, version };
  });
}

/** A fold from Kafka is only the whole history if retention kept every topic's first offset. */
async function assertFullHistory(log: MessageLog, definition: ProjectionDefinition): Promise<void> {
  for (const topic of definition.topics) {
    for (const p of await log.offsets(topic)) {
      if (p.low > 0) {
        throw new RebuildError(
          `${topic}/${p.partition} starts at offset ${p.low}: Kafka retention dropped the start of the log; rebuild ${definition.name} from the event store instead`,
        );
      }
    }
  }
}

async function heldMessages(log: MessageLog, topics: string[]): Promise<number> {
  let total = 0;
  for (const topic of topics) for (const p of await log.offsets(topic)) total += p.high - p.low;
  return total;
}
