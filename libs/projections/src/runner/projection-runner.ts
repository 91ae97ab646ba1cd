import type { BatchContext, ConsumerHandle, LogBatch, MessageLog, PartitionOffsets, SeekTo } from '@streamfold/messaging';
import type { Database } from '@streamfold/runtime';
import { RELAYED_AT_HEADER, StageLatency, stageLatency } from '@streamfold/eventstore';
import type { Registry } from 'prom-client';
import { DeadLetterWriter } from '../dead-letters/dead-letter-writer';
import { readCheckpoints } from './checkpoints';
import type { ProjectionDefinition } from '../projection';
import { consumerId } from './consumer-id';
import { describeLag, partitionLag } from './lag';
import { FetchBatcher, FetchWindow } from './fetch-batcher';
import { BatchOutcome, PartitionProcessor, RunnerLogger } from './partition-processor';
import { ProjectionMetrics } from './projection-metrics';
import { RetryPolicy, retryPolicy, sleep } from './retry-policy';
import { activeVersion, ensureVersion } from './versions';


/** How often the runner checks that a consumer with lag still gets batches. */
const STALL_CHECK_MS = 10_000;
/** No batch for this long while partitions have lag: the consumer is restarted. */
const STALL_AFTER_MS = 30_000;
/**
 * What a window gathered at the broker may reach before the fetch answers early: far above a
 * window's worth at the rates a live projection sees (1,000 likes/s for 1 s is about 400 kB), so
 * the window holds; a backlog (catching up, a rebuild) fills it at once and is not held.
 */
const GATHER_BYTES = 4 * 1024 * 1024;
/**
 * The longest window gathered at the broker. kafkajs heartbeats only between fetches, and the
 * group drops a member silent for its session timeout (10 s): a fetch held longer would cost a
 * rebalance. Longer windows are held in the runner, as before.
 */
const MAX_BROKER_GATHER_MS = 5_000;
/** Tuning of a ProjectionRunner: which version, batch size, retries, metrics and logging. */
export interface ProjectionRunnerOptions {
  /** Version to build. @default the active version (1 when the projection has none yet) */
  version?: number;
  /**
   * Follow sf_projections.active_version: when a rebuild swaps in another version, stop and
   * resume on it (its checkpoints make the hand-over exact). Rebuild runners turn this off.
   * @default true
   */
  followActive?: boolean;
  /** How often the active version is checked. @default 1000 */
  followIntervalMs?: number;
  /**
   * Kafka group of a consumer id. Checkpoints stay keyed by the consumer id whatever the group,
   * so any group is safe; a different one only re-reads more. @default the consumer id itself
   */
  groupId?: (consumerId: string) => string;
  /** Where a group without committed offsets starts. @default true */
  fromBeginning?: boolean;
  /**
   * Messages per transaction at most. Each transaction costs a few round trips and a commit
   * whatever its size, and upserting projections fold a batch's events per row, so larger
   * batches are cheaper per event; kafkajs fetches rarely hand over more than this at once.
   * @default 2000
   */
  maxBatchSize?: number;
  /**
   * Gathers the partition batches of a fetch (and, with `windowMs` above 0, those arriving within
   * it) into one transaction (every partition's checkpoint in it), so transactions/s stay flat as
   * partitions and rate grow. `false` commits each partition batch alone.
   * @default { windowMs: the definition's gatherMs, else 0 (one fetch, no wait), maxEvents: maxBatchSize }
   */
  fetchWindow?: Partial<FetchWindow> | false;
  /**
   * How long a fetch that finds nothing waits at the broker (ConsumeOptions.fetchMaxWaitMs). stop()
   * waits for the fetch in flight, so a runner stopped once caught up (a rebuild's) wants it short.
   * @default the log's (500 ms on Kafka)
   */
  fetchMaxWaitMs?: number;
  /**
   * Whether a projection's batches wait for their commit to reach the disk (PostgreSQL's
   * `synchronous_commit`). Off by default: a read model is derived from the log and its checkpoint
   * commits with it, so a server crash that undoes its last commits (up to about 600 ms of them;
   * on embedded PGlite, which has no WAL writer, those since the last commit that waited) sets both
   * back together, and the runner reads those events again from the checkpoint: a partition's next
   * batch, read from past it, is refused and sought back, and a quiet partition is sought back at
   * the next watchdog check. Clients may see a count go back and forward again, a pushed change
   * pushed again, and a dead letter's topic copy sent again. Processors always wait (their output
   * is appended and relayed). @default false
   */
  synchronousCommit?: boolean;
  /** Retries and dead-lettering of events whose apply throws. */
  retry?: Partial<RetryPolicy>;
  /** Prometheus registry for lag, events applied, batch duration and the relayed_to_delivered and delivered_to_committed stages. @default none (no metrics) */
  registry?: Registry;
  /** @default console */
  logger?: RunnerLogger;
  /**
   * How often the runner checks its consumer: one the client stopped for good is replaced at the
   * next check, one that holds lagging partitions but delivers nothing after 30 s too, and one whose
   * checkpoints went back below what it committed (the database went back) is restarted, so quiet
   * partitions are read again from them. @default 10000
   */
  watchdogIntervalMs?: number;
}

/** Totals since the runner was created (across versions it followed). */
export interface RunnerStats extends BatchOutcome {
  /** Messages delivered and settled (applied, skipped, duplicate or dead-lettered). */
  processed: number;
  batches: number;
}

/**
 * Runs one projection at one version as consumer `${name}@v${version}` (Kafka group and checkpoint
 * key). More instances with the same group share the partitions; instances in other groups or
 * processes are safe too, because every batch commits its effects and its checkpoint in one
 * PostgreSQL transaction under a row lock (invariant 4 of docs/architecture.md).
 */
export class ProjectionRunner {
  private handle: ConsumerHandle | null = null;
  private current: { version: number; consumer: string } | null = null;
  private lifecycle: Promise<unknown> = Promise.resolve();
  private followTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<object, number>();
  private checking = false;
  private progress = { batches: 0, since: Date.now() };
  private stopped = false;
  private readonly policy: RetryPolicy;
  private readonly metrics: ProjectionMetrics | null;
  private readonly stages: StageLatency | null;
  private readonly logger: RunnerLogger;
  private readonly deadLetters: DeadLetterWriter;
  private readonly totals: RunnerStats = { processed: 0, batches: 0, applied: 0, skipped: 0, duplicates: 0, deadLettered: 0 };
  /** Next offset this instance committed per "topic:partition", at the version it runs. */
  private readonly committed = new Map<string, number>();
  private commitWaiters: Array<() => void> = [];

  constructor(
    private readonly db: Database,
    private readonly log: MessageLog,
    readonly definition: ProjectionDefinition,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.policy = retryPolicy(options.retry);
    this.metrics = options.registry ? new ProjectionMetrics(options.registry) : null;
    this.stages = options.registry ? stageLatency(options.registry) : null;
    this.logger = options.logger ?? console;
    this.deadLetters = new DeadLetterWriter(log);
  }

  get name(): string {
    return this.definition.name;
  }

  /** Version being built; throws before start(). */
  get version(): number {
    if (!this.current) throw new Error(`projection runner ${this.name} is not started`);
    return this.current.version;
  }

  get consumerId(): string {
    return consumerId(this.name, this.version);
  }

  get running(): boolean {
    return this.handle !== null;
  }

  /** Partitions this instance holds now. */
  assignment(): Array<{ topic: string; partition: number }> {
    return this.handle?.assignment() ?? [];
  }

  stats(): RunnerStats {
    return { ...this.totals };
  }

  /**
   * The next offset this instance has committed on each partition ("topic:partition") at the
   * version it runs, from its own batches since it started there. Partitions it never held, or
   * that another instance moved on, are missing or behind: the checkpoints are what is true.
   */
  committedOffsets(): ReadonlyMap<string, number> {
    return this.committed;
  }

  /** Resolves when this instance commits its next batch, or after `timeoutMs`, whichever comes first. */
  nextCommit(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      // A wait that times out leaves the list, so waits on an idle runner do not pile up.
      const timer = setTimeout(() => {
        this.commitWaiters = this.commitWaiters.filter((w) => w !== wake);
        resolve();
      }, timeoutMs);
      this.commitWaiters.push(wake);
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.serially(async () => {
      if (this.handle) return;
      const version = this.options.version ?? (await activeVersion(this.db.pool, this.name)) ?? 1;
      await this.open(version);
    });
    if (!this.watchdog) {
      this.watchdog = setInterval(() => void this.checkProgress(), this.options.watchdogIntervalMs ?? STALL_CHECK_MS);
      this.watchdog.unref();
    }
    if ((this.options.followActive ?? true) && !this.followTimer) {
      this.followTimer = setInterval(() => void this.follow(), this.options.followIntervalMs ?? 1000);
      this.followTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = null;
    await this.serially(() => this.close());
  }

  /**
   * Resolves once every partition's checkpoint reached the end offset measured at that moment
   * (polled every 100 ms); throws naming the partitions still behind after timeoutMs.
   * @param timeoutMs @default 30000
   */
  async waitUntilCaughtUp(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lags = await partitionLag(this.db.pool, this.log, this.consumerId, this.definition.topics);
      if (lags.every((l) => l.lag === 0)) return;
      if (Date.now() > deadline) throw new Error(`${this.consumerId} is not caught up after ${timeoutMs} ms: ${describeLag(lags)}`);
      await sleep(100);
    }
  }

  private async open(version: number): Promise<void> {
    if (this.current && this.current.version !== version) this.committed.clear();
    const { activated } = await ensureVersion(this.db, this.definition, version);
    if (activated) this.logger.log(`${this.name}: v${version} is the first version, now active`);
    const consumer = consumerId(this.name, version);
    const processor = new PartitionProcessor({
      db: this.db,
      definition: this.definition,
      version,
      consumer,
      policy: this.policy,
      deadLetters: this.deadLetters,
      logger: this.logger,
      synchronousCommit: this.options.synchronousCommit,
    });
    const maxBatchSize = this.options.maxBatchSize ?? 2000;
    const gather = this.options.fetchWindow;
    const window: FetchWindow = { windowMs: this.definition.gatherMs ?? 0, maxEvents: maxBatchSize, ...gather };
    // A definition's window gathers at the broker where the log can: one fetch per window, applied
    // as it arrives, instead of a fetch on the window's first record held in memory until the
    // window ends (every record of it surviving the collections meanwhile).
    const atBroker = gather !== false && window.windowMs > 0 && window.windowMs <= MAX_BROKER_GATHER_MS && this.log.gathersFetches === true;
    const batcher = gather === false ? null : new FetchBatcher((group) => processor.processMany(group), atBroker ? { ...window, windowMs: 0 } : window);
    this.handle = await this.log.consume({
      groupId: this.options.groupId?.(consumer) ?? consumer,
      topics: this.definition.topics,
      fromBeginning: this.options.fromBeginning ?? true,
      ...(atBroker ? { fetchGather: { waitMs: window.windowMs, bytes: GATHER_BYTES } } : {}),
      fetchMaxWaitMs: this.options.fetchMaxWaitMs,
      maxBatchSize,
      // Gathering wants every partition of a fetch at once; alone, four at a time as before.
      concurrency: batcher ? 64 : 4,
      // The checkpoints, not the group's offsets, say where each assigned partition is read from.
      startAt: (assigned) => this.startOffsets(processor, consumer, assigned),
      eachBatch: (batch, context) => this.onBatch(processor, batcher ? (b, c) => batcher.submit(b, c) : (b, c) => processor.process(b, c), batch, context),
    });
    this.current = { version, consumer };
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.stop();
  }

  private async onBatch(
    processor: PartitionProcessor,
    apply: (batch: LogBatch, context: BatchContext) => Promise<BatchOutcome>,
    batch: LogBatch,
    context: BatchContext,
  ): Promise<void | SeekTo> {
    if (batch.messages.length === 0) return;
    const started = process.hrtime.bigint();
    const deliveredAt = Date.now();
    if (this.stages) for (const m of batch.messages) this.stages.since('relayed_to_delivered', Number(m.headers[RELAYED_AT_HEADER]), deliveredAt, { projection: this.name });
    const token = {};
    this.inFlight.set(token, Date.now());
    let outcome: BatchOutcome;
    try {
      outcome = await apply(batch, context);
      if (outcome.seekTo !== undefined) {
        const seek = await this.seekTarget(processor, batch, outcome.seekTo);
        if (seek) return seek;
        // The log no longer holds the checkpoint and this batch is where it starts: applied. A
        // checkpoint that moved meanwhile (another owner) hands the batch back to the log.
        outcome = await apply(batch, context);
        if (outcome.seekTo !== undefined) throw new Error(`${processor.consumer} ${batch.topic}/${batch.partition}: its checkpoint moved while the batch was checked; delivering it again`);
      }
    } finally {
      this.inFlight.delete(token);
    }
    if (this.stages) {
      const seconds = (Date.now() - deliveredAt) / 1000;
      for (let i = 0; i < batch.messages.length; i++) this.stages.observe('delivered_to_committed', seconds, { projection: this.name });
    }
    const t = this.totals;
    t.batches++;
    t.processed += batch.messages.length;
    t.applied += outcome.applied;
    t.skipped += outcome.skipped;
    t.duplicates += outcome.duplicates;
    t.deadLettered += outcome.deadLettered;
    const last = batch.messages[batch.messages.length - 1].offset;
    const key = `${batch.topic}:${batch.partition}`;
    // Where the checkpoint now stands: past a transaction's trailing marker too (LogBatch.readUpTo).
    this.committed.set(key, Math.max(this.committed.get(key) ?? 0, batch.readUpTo ?? last + 1));
    if (this.commitWaiters.length > 0) {
      const waiters = this.commitWaiters;
      this.commitWaiters = [];
      for (const wake of waiters) wake();
    }
    this.metrics?.batch(this.name, batch.topic, batch.partition, {
      applied: outcome.applied,
      deadLettered: outcome.deadLettered,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      lag: Math.max(batch.highWatermark - last - 1, 0),
    });
  }

  /**
   * Where each assigned partition is read from: its checkpoint (a partition without one from the
   * start; with `fromBeginning` false, from the group's offset or the end). The group's offsets
   * trail the checkpoints by a commit interval, so this re-reads less after a rebalance; and a
   * database restored from a backup is behind them, so without it the events in between were never
   * applied. A checkpoint the log no longer holds (retention) starts at the log's start; one past
   * the log's end (the topic was deleted and created again) is left to the group's offset, with a
   * warning.
   */
  private async startOffsets(processor: PartitionProcessor, consumer: string, assigned: Array<{ topic: string; partition: number }>) {
    const checkpoints = await readCheckpoints(this.db.pool, consumer);
    const ends = new Map<string, PartitionOffsets[]>();
    for (const topic of new Set(assigned.map((a) => a.topic))) ends.set(topic, await this.log.offsets(topic));
    const starts: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const { topic, partition } of assigned) {
      // No checkpoint: nothing of the partition was applied here (a new projection, or a database
      // restored from before its first batch), so from the start, unless it follows the live end.
      const checkpoint = checkpoints.get(`${topic}:${partition}`)?.nextOffset ?? ((this.options.fromBeginning ?? true) ? 0 : undefined);
      const end = ends.get(topic)?.find((p) => p.partition === partition);
      if (checkpoint === undefined || !end) continue;
      const where = `${consumer} ${topic}/${partition}`;
      if (checkpoint > end.high) {
        this.logger.warn(`${where}: its checkpoint ${checkpoint} is past the log's end ${end.high} (was the topic deleted and created again?); reading from the group's offset`);
        continue;
      }
      starts.push({ topic, partition, offset: this.resumeAt(processor, where, `${topic}:${partition}`, checkpoint, end.low) });
    }
    return starts;
  }

  /**
   * Where a partition whose checkpoint is `checkpoint` is read from, when the log starts at `low`:
   * the checkpoint, or the log's start when retention dropped it (the processor then applies a
   * batch read from there; the offsets lost are named once).
   */
  private resumeAt(processor: PartitionProcessor, where: string, key: string, checkpoint: number, low: number): number {
    if (low <= checkpoint) return checkpoint;
    if (processor.resumeFrom(key, checkpoint, low)) {
      this.logger.warn(`${where}: offsets ${checkpoint}..${low - 1} were never applied and the log no longer holds them (retention); 'projections rebuild <name> --from event-store' restores them`);
    }
    return low;
  }

  /**
   * A batch was read from past its partition's checkpoint: the log's position is ahead of what
   * this database applied (restored from a backup, checkpoints deleted, commits lost in a crash),
   * and applying it would skip the events in between for good. Reads the partition again from the
   * checkpoint, or from where the log starts when retention removed that offset; null when that is
   * this very batch (then it is applied).
   */
  private async seekTarget(processor: PartitionProcessor, batch: LogBatch, checkpoint: number): Promise<SeekTo | null> {
    const first = batch.messages[0].offset;
    const where = `${processor.consumer} ${batch.topic}/${batch.partition}`;
    const low = (await this.log.offsets(batch.topic)).find((p) => p.partition === batch.partition)?.low ?? 0;
    const target = this.resumeAt(processor, where, `${batch.topic}:${batch.partition}`, checkpoint, low);
    if (target >= first) return null;
    this.logger.warn(`${where}: delivered from offset ${first} (read from ${batch.fetchedFrom ?? first}) but its checkpoint is at ${checkpoint} (the database is behind the log's position: restored from a backup, its checkpoints deleted, or commits lost in a crash); reading again from ${target}`);
    return { seekTo: target };
  }

  /**
   * A consumer that holds partitions with lag but has delivered no batch for STALL_AFTER_MS is
   * restarted (seen with kafkajs after an offset-out-of-range reset: the member stays in the group
   * and nothing is fetched). Safe at any time: the PostgreSQL checkpoint decides what is applied.
   */
  private async checkProgress(): Promise<void> {
    if (this.stopped || this.checking || !this.current) return;
    this.checking = true;
    try {
      const failure = this.handle ? this.handle.failure?.() ?? null : new Error('its last restart failed');
      if (failure) {
        this.logger.warn(`${this.consumerId}: the consumer stopped (${failure.message}); starting a new one`);
        await this.restart();
        return;
      }
      const behind = await this.checkpointsBehind();
      if (behind.length > 0) {
        this.logger.warn(
          `${this.consumerId}: checkpoints behind what this runner committed on ${behind.join(', ')} (the database went back: a server crash undid unflushed commits, or a restore); restarting the consumer to read them again`,
        );
        await this.restart();
        return;
      }
      const batches = this.totals.batches;
      if (batches !== this.progress.batches) {
        this.progress = { batches, since: Date.now() };
        return;
      }
      if (Date.now() - this.progress.since < STALL_AFTER_MS) return;
      // A batch still working (retries with backoff, a long dead-letter pass) is progress too,
      // unless it has been at it for much longer than any retry policy allows.
      const oldest = Math.min(...this.inFlight.values());
      if (this.inFlight.size > 0 && Date.now() - oldest < STALL_AFTER_MS * 4) return;
      const lags = await partitionLag(this.db.pool, this.log, this.consumerId, this.definition.topics);
      const mine = new Set(this.assignment().map((a) => `${a.topic}:${a.partition}`));
      const stuck = lags.filter((l) => l.lag > 0 && mine.has(`${l.topic}:${l.partition}`));
      if (stuck.length === 0) return;
      this.logger.warn(`${this.consumerId}: no batch for ${Math.round((Date.now() - this.progress.since) / 1000)} s with lag on ${describeLag(stuck)}; restarting the consumer`);
      await this.restart();
    } catch (error) {
      this.logger.warn(`${this.name}: progress check failed (retrying): ${(error as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Assigned partitions whose checkpoint is below the offset this runner committed there: the
   * database went back. A partition that gets new events finds out at its next batch (read from
   * past the checkpoint, it is refused and sought back); a quiet one only here, and a restart
   * seeks it (ConsumeOptions.startAt). Each is named once: its committed offset drops to the
   * checkpoint. Described as "topic/partition at checkpoint (committed n)".
   */
  private async checkpointsBehind(): Promise<string[]> {
    // Taken together, before the read: a commit meanwhile only moves a checkpoint up.
    const consumer = this.consumerId;
    const mine = new Set(this.assignment().map((a) => `${a.topic}:${a.partition}`));
    const committed = [...this.committed].filter(([key]) => mine.has(key));
    if (committed.length === 0) return [];
    const checkpoints = await readCheckpoints(this.db.pool, consumer);
    const behind: string[] = [];
    for (const [key, next] of committed) {
      const checkpoint = checkpoints.get(key)?.nextOffset ?? 0;
      if (checkpoint >= next) continue;
      behind.push(`${key.replace(/:(\d+)$/, '/$1')} at ${checkpoint} (committed ${next})`);
      this.committed.set(key, checkpoint);
    }
    return behind;
  }

  /** Replaces the consumer at the same version; a failed open leaves none, and the next check retries. */
  private async restart(): Promise<void> {
    this.progress = { batches: this.totals.batches, since: Date.now() };
    await this.serially(async () => {
      if (this.stopped || !this.current) return;
      const version = this.current.version;
      await this.close();
      await this.open(version);
    });
  }

  /** Moves to the active version when a rebuild swapped it in; errors are retried on the next tick. */
  private async follow(): Promise<void> {
    try {
      const active = await activeVersion(this.db.pool, this.name);
      if (active === null || this.stopped || (this.handle && active === this.current?.version)) return;
      await this.serially(async () => {
        if (this.stopped || (this.handle && active === this.current?.version)) return;
        this.logger.log(`${this.name}: active version is v${active} (running v${this.current?.version ?? 'none'}); switching`);
        await this.close();
        await this.open(active);
      });
    } catch (error) {
      this.logger.warn(`${this.name}: following the active version failed (retrying): ${(error as Error).message}`);
    }
  }

  /** start, stop and version switches never interleave. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lifecycle.then(task);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }
}
