import { compareSequenceText, formatSequence, HEADER, isSequenceText } from '@streamfold/core';
import type { ConsumerHandle, DeferredCommit, LogBatch, MessageLog } from '@streamfold/messaging';
import { Duck } from './duck';
import { defaultLakeDir } from './lake-layout';
import { LakeSchemas } from './lake-schema';
import { LakeWriter } from './lake-writer';
import { WriterThread } from './writer-thread';
import { cleanUpTopic, partitionPosition } from './recovery';
import { PartitionBuffer, writePending } from './pending-writer';

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
   * ...or, at the end of the partition, once its oldest buffered message waited this long, so
   * each partition gets at most one file per flushMs at low rates (one file per message or two on
   * a quiet partition made the embedded default slow). A batch behind the end of its partition is
   * written at once. The consumer goes on fetching meanwhile (on Kafka); what is buffered is
   * committed to the group only once written. @default 10000
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
   * machine. @default 2
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
  /** The highest relay sequence taken, as its `sf-seq` header text. */
  sequence: string | null;
  /** Buffered messages in offset order. */
  pending: PartitionBuffer;
  /** The deferred commits of the buffered batches: settled once their messages are in files. */
  waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void>;
  /** Set when this member lost the partition (or replaces its consumer): nothing more of it is published. */
  revoked: boolean;
}

/** A flush of a partition this member no longer owns: its files were discarded, not published. */
class RevokedError extends Error {}

/**
 * Offloads topics into the lake, exactly once per offset. A batch's eachBatch call returns at once
 * with a deferred commit (so Kafka fetches the next batches while DuckDB writes), and the group's
 * offset is committed only once the batch's messages are in published files: the committed offset
 * never runs ahead of the lake. The files' names are the real checkpoint (the group offset only
 * saves re-reading): each partition resumes at the highest last offset in its file names + 1 and
 * drops what lies below. Relay re-sends (sf-seq not above the highest written) are dropped like the
 * projection runner drops them. A failed write replaces the consumer, so what was not written is
 * read again from the last commit.
 */
export class LakeSink {
  private readonly states = new Map<string, Promise<PartitionState>>();
  /** Flushes of forgotten partition states: a new state for the partition waits for them first. */
  private readonly retired = new Map<string, Promise<void>>();
  private handle: ConsumerHandle | null = null;
  private readonly counters: LakeSinkStats = { rows: 0, files: 0, duplicates: 0, malformed: 0 };
  private readonly flushRows: number;
  private readonly flushMs: number;
  private stopping = false;
  /** Messages taken and not yet in files (or dropped): bounded, so fetching ahead stays bounded. */
  private unwritten = 0;
  private readonly maxUnwritten: number;
  private readonly drained: Array<() => void> = [];
  /** Bumped when the consumer is replaced: batches of an earlier consumer are refused. */
  private epoch = 0;
  private replacing: Promise<void> | null = null;
  /** Consumer replacements since the last successful write: each waits longer (a failing disk must not spin). */
  private failures = 0;

  /** Flushes in progress per writer: a flush goes to the least busy one. */
  private readonly busy: number[];

  private constructor(private readonly options: LakeSinkOptions, private readonly dir: string, private readonly duck: Duck, private readonly thread: WriterThread, private readonly writers: LakeWriter[]) {
    this.busy = writers.map(() => 0);
    this.flushRows = options.flushRows ?? 10_000;
    this.flushMs = options.flushMs ?? 10_000;
    this.maxUnwritten = 4 * this.flushRows;
  }

  static async start(options: LakeSinkOptions): Promise<LakeSink> {
    if (options.topics.length === 0) throw new RangeError('LakeSink needs at least one topic');
    for (const [name, v] of [['flushRows', options.flushRows], ['flushMs', options.flushMs], ['writers', options.writers]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    const dir = options.dir ?? defaultLakeDir();
    // This thread's DuckDB only reads positions from the files; the writing runs on a thread of its own.
    const duck = await Duck.open({ threads: options.threads });
    const thread = new WriterThread({ threads: options.threads });
    try {
      await thread.started();
    } catch (error) {
      duck.close();
      throw error;
    }
    const writers = Array.from({ length: options.writers ?? 2 }, (_, slot) => new LakeWriter(thread, slot, dir, options.schemas, options.compression));
    const sink = new LakeSink(options, dir, duck, thread, writers);
    for (const topic of options.topics) cleanUpTopic(dir, topic);
    sink.handle = await sink.consume();
    return sink;
  }

  private consume(): Promise<ConsumerHandle> {
    const epoch = this.epoch;
    return this.options.log.consume({
      groupId: this.options.groupId ?? 'sink.lake',
      topics: this.options.topics,
      fromBeginning: true,
      maxBatchSize: this.flushRows,
      headers: [HEADER.sequence],
      eachBatch: (batch) => this.take(batch, epoch),
      onAssignment: (assigned) => epoch === this.epoch && this.keepOnly(assigned),
    });
  }

  stats(): LakeSinkStats {
    return { ...this.counters };
  }

  /** Leaves the group after the buffered batches are written; the lake stays consistent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.replacing;
    for (const s of this.states.values()) void s.then((state) => this.flush(state)).catch(() => undefined);
    // Waits for the deferred commits, so the group's last commit covers what was written.
    await this.handle?.stop();
    this.handle = null;
    for (const s of this.states.values()) await s.then((state) => this.flush(state)).catch(() => undefined);
    await this.thread.close();
    this.duck.close();
  }

  private async take(batch: LogBatch, epoch: number): Promise<DeferredCommit> {
    const state = epoch === this.epoch ? await this.stateFor(batch.topic, batch.partition) : null;
    // A batch of a replaced consumer (or of a partition lost meanwhile) is not taken: never committed.
    if (!state || state.revoked || epoch !== this.epoch) return { durable: refused() };
    let taken = 0;
    for (const m of batch.messages) {
      if (m.offset < state.nextOffset) continue; // already in a file (the group offset lagged)
      const sequence = m.headers[HEADER.sequence];
      const sequenced = isSequenceText(sequence);
      // Relay re-sends repeat a sequence already taken: the same rule as the projection runner.
      if (sequenced && state.sequence !== null && compareSequenceText(sequence, state.sequence) <= 0) {
        this.counters.duplicates++;
        state.pending.skip(m.offset);
      } else {
        if (sequenced) state.sequence = sequence;
        state.pending.add(m, sequenced ? sequence : null);
      }
      state.nextOffset = m.offset + 1;
      taken++;
    }
    this.unwritten += taken;
    // Nothing new (all in files already): committed once the earlier batches are.
    if (state.pending.taken === 0) return { durable: state.flushing };
    const durable = new Promise<void>((resolve, reject) => state.waiters.push({ resolve, reject }));
    durable.catch(() => undefined); // settled for the consumer; a rejection is handled by the flush
    const last = batch.messages[batch.messages.length - 1].offset;
    // Behind the end of the partition: written now (catching up in files of a fetch each); at
    // the end: gathered up to flushRows or flushMs, while the consumer goes on fetching.
    if (state.pending.rows >= this.flushRows || batch.highWatermark > last + 1 || this.stopping) void this.flush(state);
    else state.timer ??= setTimeout(() => void this.flush(state), this.flushMs);
    while (this.unwritten > this.maxUnwritten && !this.stopping) await new Promise<void>((r) => this.drained.push(r));
    return { durable };
  }

  private written(count: number): void {
    this.unwritten -= count;
    if (this.unwritten <= this.maxUnwritten) for (const wake of this.drained.splice(0)) wake();
  }

  private flush(state: PartitionState): Promise<void> {
    state.flushing = state.flushing.then(async () => {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      const taken = state.pending.take();
      const waiters = state.waiters;
      state.waiters = [];
      if (waiters.length === 0 && taken.messages === 0) return;
      const slot = this.busy.indexOf(Math.min(...this.busy));
      this.busy[slot]++;
      try {
        if (state.revoked) throw new RevokedError();
        const written = await writePending(this.writers[slot], state.topic, state.partition, taken, (offset, reason) => {
          this.counters.malformed++;
          this.options.logger?.warn(`lake sink: ${state.topic}/${state.partition}@${offset} is not an envelope (${reason}); not written`);
        }, () => !state.revoked);
        if (written === 'revoked') throw new RevokedError();
        this.failures = 0;
        this.counters.files += written.files;
        this.counters.rows += written.rows;
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
        if (!(error instanceof RevokedError)) {
          this.options.logger?.warn(`lake sink: writing ${state.topic}/${state.partition} failed: ${(error as Error).message}; replacing the consumer`);
          void this.replaceConsumer();
        }
      } finally {
        this.busy[slot]--;
        this.written(taken.messages);
      }
    });
    return state.flushing;
  }

  /**
   * After a failed write: the consumer already fetched past it, so a new one resumes from the
   * group's commit (never ahead of the files), and every partition starts over from its files.
   */
  private replaceConsumer(): Promise<void> {
    this.replacing ??= (async () => {
      this.epoch++;
      this.keepOnly([]);
      const previous = this.handle;
      this.handle = null;
      await previous?.stop().catch(() => undefined);
      // A real timer, not only microtasks: a write that fails at once would otherwise loop without
      // ever yielding to timers and I/O.
      await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** this.failures++)));
      if (!this.stopping) this.handle = await this.consume();
    })()
      .catch((error) => this.options.logger?.warn(`lake sink: replacing the consumer failed: ${(error as Error).message}`))
      .finally(() => (this.replacing = null));
    return this.replacing;
  }

  private stateFor(topic: string, partition: number): Promise<PartitionState> {
    const key = `${topic}:${partition}`;
    let state = this.states.get(key);
    if (!state) {
      // A flush of a forgotten state may still be renaming files: positions are read after it.
      const previous = this.retired.get(key) ?? Promise.resolve();
      this.retired.delete(key);
      state = previous.then(() => partitionPosition(this.duck, this.dir, topic, partition)).then((p) => ({
        topic, partition, nextOffset: p.nextOffset, sequence: p.sequence && formatSequence(p.sequence), pending: new PartitionBuffer(), waiters: [], timer: null, flushing: Promise.resolve(), revoked: false,
      }));
      state.catch(() => this.states.delete(key));
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * Partitions this member lost are forgotten: their buffers are dropped and a write in progress
   * is not published (its next owner may already be reading the files), so the next owner resumes
   * from the files.
   */
  private keepOnly(assigned: Array<{ topic: string; partition: number }>): void {
    const keep = new Set(assigned.map((a) => `${a.topic}:${a.partition}`));
    for (const [key, state] of [...this.states]) {
      if (keep.has(key)) continue;
      this.states.delete(key);
      this.retired.set(key, state.then((s) => {
        s.revoked = true;
        return this.flush(s);
      }).catch(() => undefined));
    }
  }
}

/** A settled refusal (a batch not taken): the consumer never commits it. */
function refused(): Promise<void> {
  const refusal = Promise.reject(new RevokedError('batch of a replaced consumer or a lost partition'));
  refusal.catch(() => undefined);
  return refusal;
}
