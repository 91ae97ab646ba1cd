import { compareSequence, LogSequence } from '@streamfold/core';
import type { BatchContext, ConsumerHandle, LogBatch, MessageLog } from '@streamfold/messaging';
import { Duck } from './duck';
import { defaultLakeDir } from './lake-layout';
import { LakeSchemas } from './lake-schema';
import { LakeWriter } from './lake-writer';
import { cleanUpTopic, partitionPosition } from './recovery';
import { PendingMessage, writePending } from './pending-writer';
import { sequenceOf } from './staging';

/** Options of `LakeSink.start`; the file names, not the group's offsets, decide where it resumes. */
export interface LakeSinkOptions {
  log: MessageLog;
  /** Logical topic names to offload. */
  topics: string[];
  /** Lake root. @default process.env.LAKE_DIR || '.data/lake' */
  dir?: string;
  /** Consumer group; members of one group share the partitions. @default 'sink.lake' */
  groupId?: string;
  /** A partition's buffer is written once it holds this many rows. @default 10000 */
  flushRows?: number;
  /**
   * ...or, at the end of the partition, once its oldest buffered message waited this long: the
   * partition is held meanwhile, so each partition gets at most one file per flushMs at low rates
   * (one file per message or two on a quiet partition made the embedded default slow). A batch
   * behind the end of its partition is written at once, and so is every held one then (a held
   * batch delays Kafka's next fetch for all partitions). @default 10000
   */
  flushMs?: number;
  /** Typed columns per event type (see LakeSchemas). @default {} */
  schemas?: LakeSchemas;
  /**
   * Parquet compression of the sink's files: snappy costs about half the CPU of zstd for twice
   * the bytes; compaction rewrites merged files with zstd. @default 'snappy'
   */
  compression?: 'snappy' | 'zstd';
  /** DuckDB threads for writing. @default DuckDB's default (the core count) */
  threads?: number;
  /**
   * Partitions written at once, each on its own DuckDB connection: one COPY keeps about one core
   * busy (a file of up to flushRows rows is one row group), so two use both cores of a small
   * machine while Kafka is not fetching (no fetch happens while a batch is held). @default 2
   */
  writers?: number;
  logger?: { log(message: string): void; warn(message: string): void };
}

/** Counters since this sink started (not since the lake began): rows and files it wrote, messages it passed over. */
export interface LakeSinkStats {
  rows: number;
  files: number;
  /** Relay re-sends dropped (sequence not above the partition's highest written). */
  duplicates: number;
  /** Values that are not Streamfold envelopes: logged and not written (their offsets are passed). */
  malformed: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to take (files plus what is buffered). */
  nextOffset: number;
  sequence: LogSequence | null;
  /** Buffered messages in offset order. */
  pending: PendingMessage[];
  rows: number;
  /** eachBatch calls waiting until their messages are in files. */
  waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void>;
}

/**
 * Offloads topics into the lake, exactly once per offset. A batch's eachBatch call resolves only
 * after its messages are in published files, so the group's committed offset never runs ahead
 * of the lake; the files' names are the real checkpoint (the group offset only saves re-reading):
 * each partition resumes at the highest last offset in its file names + 1 and drops what lies
 * below. Relay re-sends (sf-seq not above the highest written) are dropped like the projection
 * runner drops them.
 */
export class LakeSink {
  private readonly states = new Map<string, Promise<PartitionState>>();
  /** Flushes of forgotten partition states: a new state for the partition waits for them first. */
  private readonly retired = new Map<string, Promise<void>>();
  private handle: ConsumerHandle | null = null;
  private readonly counters: LakeSinkStats = { rows: 0, files: 0, duplicates: 0, malformed: 0 };
  private readonly flushRows: number;
  private readonly flushMs: number;
  /** Partitions holding their batch until flushMs (at the end of the partition). */
  private readonly held = new Set<PartitionState>();
  private stopping = false;

  /** Flushes in progress per writer: a flush goes to the least busy one. */
  private readonly busy: number[];

  private constructor(private readonly options: LakeSinkOptions, private readonly dir: string, private readonly duck: Duck, private readonly writers: Array<{ duck: Duck; writer: LakeWriter }>) {
    this.busy = writers.map(() => 0);
    this.flushRows = options.flushRows ?? 10_000;
    this.flushMs = options.flushMs ?? 10_000;
  }

  /** Cleans up after any crash (temporary files, merged inputs), then joins the group. */
  static async start(options: LakeSinkOptions): Promise<LakeSink> {
    if (options.topics.length === 0) throw new RangeError('LakeSink needs at least one topic');
    for (const [name, v] of [['flushRows', options.flushRows], ['flushMs', options.flushMs], ['writers', options.writers]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    const dir = options.dir ?? defaultLakeDir();
    const duck = await Duck.open({ threads: options.threads });
    const writers: Array<{ duck: Duck; writer: LakeWriter }> = [];
    for (let i = 0; i < (options.writers ?? 2); i++) {
      const connection = await duck.fork();
      writers.push({ duck: connection, writer: new LakeWriter(connection, dir, options.schemas, options.compression) });
    }
    const sink = new LakeSink(options, dir, duck, writers);
    for (const topic of options.topics) cleanUpTopic(dir, topic);
    sink.handle = await options.log.consume({
      groupId: options.groupId ?? 'sink.lake',
      topics: options.topics,
      fromBeginning: true,
      maxBatchSize: sink.flushRows,
      eachBatch: (batch, context) => sink.take(batch, context),
      onAssignment: (assigned) => sink.keepOnly(assigned),
    });
    return sink;
  }

  stats(): LakeSinkStats {
    return { ...this.counters };
  }

  /** Leaves the group after the batches in flight are written; the lake stays consistent. */
  async stop(): Promise<void> {
    // Held batches are written now, so the consumer's stop does not wait for their age.
    this.stopping = true;
    this.flushHeld();
    await this.handle?.stop();
    this.handle = null;
    for (const s of this.states.values()) await s.then((state) => this.flush(state)).catch(() => undefined);
    for (const w of this.writers) w.duck.close();
    this.duck.close();
  }

  private async take(batch: LogBatch, context?: BatchContext): Promise<void> {
    const state = await this.stateFor(batch.topic, batch.partition);
    for (const m of batch.messages) {
      if (m.offset < state.nextOffset) continue; // already in a file (the group offset lagged)
      const sequence = sequenceOf(m);
      // Relay re-sends repeat a sequence already taken: the same rule as the projection runner.
      if (sequence && state.sequence && compareSequence(sequence, state.sequence) <= 0) {
        this.counters.duplicates++;
        state.pending.push({ offset: m.offset, message: null, sequence: null });
      } else {
        if (sequence) state.sequence = sequence;
        state.pending.push({ offset: m.offset, message: m, sequence });
        state.rows++;
      }
      state.nextOffset = m.offset + 1;
    }
    if (state.pending.length === 0) return;
    const written = new Promise<void>((resolve, reject) => state.waiters.push({ resolve, reject }));
    const last = batch.messages[batch.messages.length - 1].offset;
    const behind = batch.highWatermark > last + 1;
    if (state.rows >= this.flushRows || behind || this.stopping) {
      void this.flush(state);
      // A backlog is waiting: Kafka fetches again only once every batch of a fetch is handled.
      if (behind) this.flushHeld();
    } else {
      // At the end: hold the partition (nothing more of it is delivered meanwhile) so that the
      // next batch gathers up to flushMs of messages; the group must still hear from this member.
      state.timer ??= setTimeout(() => void this.flush(state), this.flushMs);
      this.held.add(state);
      if (context) keepAlive(written, context, () => void this.flush(state));
    }
    return written;
  }

  private flushHeld(): void {
    for (const state of this.held) void this.flush(state);
  }

  private flush(state: PartitionState): Promise<void> {
    this.held.delete(state);
    state.flushing = state.flushing.then(async () => {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      const pending = state.pending;
      const waiters = state.waiters;
      state.pending = [];
      state.waiters = [];
      state.rows = 0;
      if (waiters.length === 0 && pending.length === 0) return;
      const slot = this.busy.indexOf(Math.min(...this.busy));
      this.busy[slot]++;
      try {
        const written = await writePending(this.writers[slot].writer, state.topic, state.partition, pending, (offset, reason) => {
          this.counters.malformed++;
          this.options.logger?.warn(`lake sink: ${state.topic}/${state.partition}@${offset} is not an envelope (${reason}); not written`);
        });
        this.counters.files += written.files;
        this.counters.rows += written.rows;
        for (const w of waiters) w.resolve();
      } catch (error) {
        // The buffer is gone: forget the partition so its next batch (Kafka delivers it again)
        // starts over from the files.
        this.states.delete(`${state.topic}:${state.partition}`);
        this.options.logger?.warn(`lake sink: writing ${state.topic}/${state.partition} failed: ${(error as Error).message}`);
        for (const w of waiters) w.reject(error);
      } finally {
        this.busy[slot]--;
      }
    });
    return state.flushing;
  }

  private stateFor(topic: string, partition: number): Promise<PartitionState> {
    const key = `${topic}:${partition}`;
    let state = this.states.get(key);
    if (!state) {
      // A flush of a forgotten state may still be renaming files: positions are read after it.
      const previous = this.retired.get(key) ?? Promise.resolve();
      this.retired.delete(key);
      state = previous.then(() => partitionPosition(this.duck, this.dir, topic, partition)).then((p) => ({
        topic, partition, nextOffset: p.nextOffset, sequence: p.sequence, pending: [], rows: 0, waiters: [], timer: null, flushing: Promise.resolve(),
      }));
      state.catch(() => this.states.delete(key));
      this.states.set(key, state);
    }
    return state;
  }

  /** Partitions this member lost are forgotten: their next owner resumes from the files. */
  private keepOnly(assigned: Array<{ topic: string; partition: number }>): void {
    const keep = new Set(assigned.map((a) => `${a.topic}:${a.partition}`));
    for (const [key, state] of [...this.states]) {
      if (keep.has(key)) continue;
      this.states.delete(key);
      this.retired.set(key, state.then((s) => s.flushing).catch(() => undefined));
    }
  }
}

const HEARTBEAT_EVERY_MS = 2000;

/**
 * Heartbeats while a batch is held (Kafka's session timeout is shorter than flushMs); a failing
 * heartbeat means a rebalance waits for this member, so the batch is written at once.
 */
function keepAlive(written: Promise<void>, context: BatchContext, onRebalance: () => void): void {
  const timer = setInterval(() => context.heartbeat().catch(onRebalance), HEARTBEAT_EVERY_MS);
  const stop = () => clearInterval(timer);
  written.then(stop, stop);
}
