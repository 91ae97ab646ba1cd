import { HEADER, LogSequence, parseSequence } from '@streamfold/core';
import type { BatchContext, LogBatch, LogMessage } from '@streamfold/messaging';
import type { Database, TransactionOptions } from '@streamfold/runtime';
import { DeadLetterWriter, describeError } from '../dead-letters/dead-letter-writer';
import type { Delivery, ProjectionDefinition } from '../projection';
import { type Checkpoint, isAbove, lockCheckpoint, saveCheckpoint } from './checkpoints';
import { lockCheckpoints, partitionKey, saveCheckpoints } from './checkpoint-rows';
import type { Gathered } from './fetch-batcher';
import { decodeFor } from './decode';
import { projectionContext } from './consumer-id';
import { ApplyFailed, backoffMs, handsBatchBack, PartitionReleased, RetryPolicy, sleep } from './retry-policy';

/** Where runners report retries, dead letters and restarts (the Nest module passes its Logger). */
export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What happened to the messages of one delivered batch. */
export interface BatchOutcome {
  applied: number;
  /** Types the projection does not handle: checkpointed without calling apply. */
  skipped: number;
  /** Below the checkpoint offset (Kafka redelivery) or not above its sequence (relay re-send). */
  duplicates: number;
  deadLettered: number;
  /**
   * Set when nothing of the batch was applied because it starts past the partition's checkpoint
   * (the database is behind the group's offsets): the offset to read again from, the checkpoint's.
   */
  seekTo?: number;
}

interface Item {
  message: LogMessage;
  /** Null when the message could not be decoded, or its decoder skipped it. */
  delivery: Delivery | null;
  sequence: LogSequence | null;
  malformed: string | null;
  /** The definition's decoder returned null (a foreign topic's tombstone, heartbeat ...). */
  skip: boolean;
  /** Times apply was called with this event and threw. */
  attempts: number;
  /**
   * Where the log read from up to this message: the batch's `fetchedFrom` on its first message (the
   * message's own offset when the log does not say), the previous message's offset + 1 on the
   * others. A transaction's first item is checked against the checkpoint with it (startsInPlace).
   */
  fetchedFrom: number;
  /** On a batch's last message, where the log reads next (LogBatch.readUpTo); null elsewhere. */
  readUpTo: number | null;
}

/** What a PartitionProcessor needs: the projection version it applies, its retry policy and dead-letter writer. */
export interface PartitionProcessorDeps {
  db: Database;
  definition: ProjectionDefinition;
  version: number;
  consumer: string;
  policy: RetryPolicy;
  deadLetters: DeadLetterWriter;
  logger: RunnerLogger;
  /**
   * Whether a read model's batches wait for their commit's WAL flush (ProjectionRunnerOptions.synchronousCommit);
   * a processor's always do: what they append is relayed at once. @default false
   */
  synchronousCommit?: boolean;
}

/** Longest silence between heartbeats while backing off (the Kafka session timeout is 10 s). */
const HEARTBEAT_SLICE_MS = 1000;

/**
 * Applies one partition's batches exactly once: every attempt is ONE transaction that locks the
 * checkpoint row, drops what it already covers, applies the rest, and moves the checkpoint.
 * A failing batch is retried, then split into one event per transaction to find the poison
 * event, which is dead-lettered in the transaction that moves the checkpoint past it.
 */
export class PartitionProcessor {
  private readonly handles: Set<string> | null;
  /**
   * A read model's transactions append no events, so the relay does not wait for them (see
   * TransactionOptions.appendsEvents), and by default do not wait for their WAL flush either
   * (TransactionOptions.waitsForFlush): undone by a server crash, read model and checkpoint go
   * back together and the batch is read again from the checkpoint (startsInPlace). A processor's
   * append what they emit, which the relay may send on before a flush: those always wait.
   */
  private readonly transactionOptions: TransactionOptions;
  /**
   * Per "topic:partition", a checkpoint the log no longer holds (retention) and the offset reading
   * resumes from instead, the log's start then: a batch read from there or before skips nothing
   * the log holds.
   */
  private readonly sought = new Map<string, { checkpoint: number; from: number }>();

  constructor(private readonly deps: PartitionProcessorDeps) {
    this.handles = deps.definition.handles ? new Set(deps.definition.handles) : null;
    const readModel = deps.definition.kind === 'projection';
    this.transactionOptions = { appendsEvents: !readModel, waitsForFlush: !readModel || deps.synchronousCommit === true };
  }

  /**
   * A serialization failure or deadlock (SQLSTATE 40001, 40P01; also the event store's stream
   * order check) says "run the transaction again": do so at once, a few times, without counting
   * it against the events and without handing the batch back to Kafka.
   */
  private async rerunTransaction(error: unknown, rerun: number): Promise<boolean> {
    const code = (error as { code?: unknown })?.code;
    if ((code !== '40001' && code !== '40P01') || rerun > 20) return false;
    await sleep(Math.floor(Math.random() * 10 * Math.min(rerun, 5)));
    return true;
  }

  /** The consumer id whose checkpoints this processor moves. */
  get consumer(): string {
    return this.deps.consumer;
  }

  /**
   * The log no longer holds the partition's checkpoint `nextOffset` (retention) and is read from
   * `from` (its start) instead: a batch read from there is applied. False when that was known.
   */
  resumeFrom(key: string, nextOffset: number, from: number): boolean {
    const known = this.sought.get(key);
    if (known?.checkpoint === nextOffset && known.from >= from) return false;
    this.sought.set(key, { checkpoint: nextOffset, from });
    return true;
  }

  /**
   * True when a batch starting at `first`, which the log read from `fetchedFrom`, may be applied on
   * a checkpoint at `nextOffset`: it does not start past the checkpoint, or the log was read from
   * the checkpoint or before (what lies between holds no record: compacted, transaction markers),
   * or from where the log starts when it no longer holds the checkpoint. Otherwise it was read
   * from further on and would skip what was never applied.
   */
  private startsInPlace(topic: string, partition: number, first: number, fetchedFrom: number, nextOffset: number): boolean {
    if (first <= nextOffset || fetchedFrom <= nextOffset) return true;
    const sought = this.sought.get(`${topic}:${partition}`);
    return sought !== undefined && sought.checkpoint === nextOffset && fetchedFrom <= sought.from;
  }

  process(batch: LogBatch, context: BatchContext): Promise<BatchOutcome> {
    return this.processItems(this.decodeBatch(batch), context, 0);
  }

  /** `spent`: batch attempts already made on these items (a fetch's transaction whose apply failed); the retry policy counts them. */
  private async processItems(items: Item[], context: BatchContext, spent: number): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { applied: 0, skipped: 0, duplicates: 0, deadLettered: 0 };
    let pending = items;
    while (pending.length > 0) {
      if (spent < this.deps.policy.batchAttempts && (await this.asOneBatch(pending, context, outcome, spent))) break;
      spent = 0;
      pending = await this.oneByOne(pending, context, outcome);
      if (outcome.seekTo !== undefined) break;
    }
    return outcome;
  }

  /**
   * Several partitions' batches (a fetch) in ONE transaction: every partition's checkpoint row is
   * locked (in order), each partition's messages pass the same duplicate rule as alone and go to
   * apply as alone (one call per partition), and every checkpoint moves in that transaction. When
   * apply throws, nothing of the group commits: the failing partition goes on alone with its
   * retries and dead letters, the others commit again together; a batch whose partition was
   * released is refused alone.
   */
  async processMany(group: Gathered[]): Promise<Array<PromiseSettledResult<BatchOutcome>>> {
    const owned = group.filter((g) => g.context.isRunning());
    const decoded = owned.map((g) => this.decodeBatch(g.batch));
    let results: Array<BatchOutcome | null> | null = null;
    let failed = -1;
    for (let rerun = 1; owned.length > 0; rerun++) {
      try {
        results = await this.commitMany(decoded);
        break;
      } catch (error) {
        if (await this.rerunTransaction(error, rerun)) continue;
        if (!(error instanceof ApplyFailed)) return group.map(() => ({ status: 'rejected', reason: error }));
        failed = (error as ApplyFailed & { group: number }).group;
        break;
      }
    }
    const settled = new Map<Gathered, PromiseSettledResult<BatchOutcome>>();
    const alone = async (g: Gathered, spent: number) => {
      try {
        const value = await this.processItems(spent > 0 ? decoded[owned.indexOf(g)] : this.decodeBatch(g.batch), g.context, spent);
        settled.set(g, { status: 'fulfilled', value });
      } catch (reason) {
        settled.set(g, { status: 'rejected', reason });
      }
    };
    if (results === null && failed === -1) {
      // One apply for the whole group threw: each partition goes on alone, its attempt counted.
      await Promise.all(owned.map((g) => alone(g, 1)));
    } else if (results === null) {
      // The partition whose apply threw goes on alone, its failed attempt counted, with its retries
      // and dead letters; the rest of the group, which did not fail, commits together meanwhile.
      const rest = owned.filter((_, i) => i !== failed);
      const again = async () => (await this.processMany(rest)).forEach((r, i) => settled.set(rest[i], r));
      await Promise.all([alone(owned[failed], 1), rest.length > 0 ? again() : undefined]);
    } else {
      owned.forEach((g, i) => results![i] && settled.set(g, { status: 'fulfilled', value: results![i]! }));
      // Partitions whose checkpoint another owner holds: alone, each waiting for that lock.
      await Promise.all(owned.filter((_, i) => results![i] === null).map((g) => alone(g, 0)));
    }
    return group.map((g) => settled.get(g) ?? { status: 'rejected', reason: new PartitionReleased(`${this.deps.consumer}: partition released before its batch committed`) });
  }

  /** The group's transaction; null for a partition whose checkpoint row another transaction holds (left out of it). */
  private commitMany(groups: Item[][]): Promise<Array<BatchOutcome | null>> {
    const { db, definition, version, consumer, deadLetters } = this.deps;
    // BEGIN rides on the lock and COMMIT on the save: three round trips for a one-statement apply.
    return db.compactTransaction(async (sql, ends) => {
      const keys = groups.map((items) => ({ topic: items[0].message.topic, partition: items[0].message.partition }));
      const locked = await lockCheckpoints(sql, consumer, keys, ends.open);
      const current = new Map([...locked].map(([k, c]) => [k, { ...c, lastEventAt: null as number | null, moved: false }]));
      const results: Array<BatchOutcome | null> = [];
      // One apply per partition, in the group's order: folds that judge lateness or order within
      // a batch (event-time windows) see one partition's events at a time, exactly as alone.
      const toApply: Array<{ group: number; items: Item[] }> = [];
      const toDeadLetter: Array<{ item: Item; error: string; result: BatchOutcome }> = [];
      groups.forEach((items, g) => {
        const state = current.get(partitionKey(keys[g]));
        if (!state) return void results.push(null);
        const result: BatchOutcome = { applied: 0, skipped: 0, duplicates: 0, deadLettered: 0 };
        results.push(result);
        if (!this.startsInPlace(keys[g].topic, keys[g].partition, items[0].message.offset, items[0].fetchedFrom, state.nextOffset)) {
          result.seekTo = state.nextOffset;
          return;
        }
        const fresh: Item[] = [];
        for (const item of items) {
          const admitted = admit(state, item.message.offset, item.sequence);
          // Past what the log skips after the batch's last message (a transaction's marker).
          const next = Math.max(admitted.checkpoint.nextOffset, item.readUpTo ?? 0);
          if (next !== state.nextOffset) {
            state.lastEventAt = item.message.timestamp;
            state.moved = true;
          }
          state.nextOffset = next;
          state.sequence = admitted.checkpoint.sequence;
          if (admitted.duplicate) result.duplicates++;
          else if (item.malformed !== null) toDeadLetter.push({ item, error: item.malformed, result });
          else if (item.skip || (this.handles && !this.handles.has(item.delivery!.envelope.type))) result.skipped++;
          else {
            fresh.push(item);
            result.applied++;
          }
        }
        if (fresh.length > 0) toApply.push({ group: g, items: fresh });
      });
      const ctx = projectionContext(sql, version);
      // applyScope 'transaction': one call for the whole group; a failure is then nobody's in
      // particular (group -1), and every partition is retried alone.
      const calls = definition.applyScope === 'transaction' && toApply.length > 1 ? [{ group: -1, items: toApply.flatMap((a) => a.items) }] : toApply;
      for (const { group, items } of calls) {
        try {
          await definition.apply(items.map((i) => i.delivery!), ctx);
        } catch (error) {
          if (handsBatchBack(error)) throw error;
          for (const item of items) item.attempts++;
          throw Object.assign(new ApplyFailed(error), { group });
        }
      }
      await deadLetters.writeMany(sql, toDeadLetter.map(({ item, error }) => ({ consumer, message: item.message, error, attempts: 1 })));
      for (const { result } of toDeadLetter) result.deadLettered++;
      const moved = [...current].filter(([, c]) => c.moved).map(([k, c]) => {
        const [topic, partition] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        return { topic, partition, checkpoint: { nextOffset: c.nextOffset, sequence: c.sequence }, lastEventAt: c.lastEventAt === null ? null : new Date(c.lastEventAt) };
      });
      await saveCheckpoints(consumer, moved, ends.commit);
      return results;
    }, this.transactionOptions);
  }

  /** True when the batch committed; false when its attempts ran out. */
  private async asOneBatch(items: Item[], context: BatchContext, outcome: BatchOutcome, spent = 0): Promise<boolean> {
    const { policy, logger, consumer } = this.deps;
    let rerun = 0;
    if (spent > 0) await this.backoff(context, spent);
    for (let attempt = spent + 1; ; attempt++) {
      this.assertOwned(context);
      try {
        add(outcome, await this.commit(items, null));
        return true;
      } catch (error) {
        if (await this.rerunTransaction(error, ++rerun)) {
          attempt--;
          continue;
        }
        if (!(error instanceof ApplyFailed)) throw error;
        const where = `${consumer} ${items[0].message.topic}/${items[0].message.partition} offsets ${items[0].message.offset}..${items[items.length - 1].message.offset}`;
        if (attempt >= policy.batchAttempts) {
          logger.warn(`${where}: apply failed ${attempt} times (${error.message}); retrying one event per transaction`);
          return false;
        }
        await this.backoff(context, attempt);
      }
    }
  }

  /** Commits events one by one until one is dead-lettered; returns the events after it. */
  private async oneByOne(items: Item[], context: BatchContext, outcome: BatchOutcome): Promise<Item[]> {
    const { policy, logger, consumer } = this.deps;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      let rerun = 0;
      for (let attempt = 1; ; attempt++) {
        this.assertOwned(context);
        try {
          add(outcome, await this.commit([item], null));
          if (outcome.seekTo !== undefined) return [];
          break;
        } catch (error) {
          if (await this.rerunTransaction(error, ++rerun)) {
            attempt--;
            continue;
          }
          if (!(error instanceof ApplyFailed)) throw error;
          // Every event gets at least one attempt alone, so the poison one is always identified.
          if (item.attempts >= policy.maxAttempts) {
            const m = item.message;
            logger.warn(`${consumer} ${m.topic}/${m.partition}@${m.offset}: dead-lettered after ${item.attempts} attempts: ${error.message}`);
            add(outcome, await this.commit([item], describeError(error.cause)));
            return items.slice(i + 1);
          }
          await this.backoff(context, attempt);
        }
      }
    }
    return [];
  }

  /**
   * One transaction: lock the checkpoint, keep what is new, apply it (or dead-letter it when
   * `deadLetterError` is given), save the checkpoint. Throws ApplyFailed when apply threw.
   */
  private commit(items: Item[], deadLetterError: string | null): Promise<BatchOutcome> {
    const { db, definition, version, consumer, deadLetters } = this.deps;
    const { topic, partition } = items[0].message;
    return db.transaction(async (sql) => {
      const checkpoint = await lockCheckpoint(sql, consumer, topic, partition);
      const result: BatchOutcome = { applied: 0, skipped: 0, duplicates: 0, deadLettered: 0 };
      // Within the items, offsets may skip (compaction): where they were read from is checked once.
      if (!this.startsInPlace(topic, partition, items[0].message.offset, items[0].fetchedFrom, checkpoint.nextOffset)) {
        return { ...result, seekTo: checkpoint.nextOffset };
      }
      let nextOffset = checkpoint.nextOffset;
      let sequence = checkpoint.sequence;
      let lastEventAt: number | null = null;
      const toApply: Item[] = [];
      const toDeadLetter: Array<{ item: Item; error: string }> = [];
      for (const item of items) {
        const admitted = admit({ nextOffset, sequence }, item.message.offset, item.sequence);
        const next = Math.max(admitted.checkpoint.nextOffset, item.readUpTo ?? 0);
        if (next !== nextOffset) lastEventAt = item.message.timestamp;
        nextOffset = next;
        sequence = admitted.checkpoint.sequence;
        if (admitted.duplicate) {
          result.duplicates++;
          continue;
        }
        if (item.malformed !== null) toDeadLetter.push({ item, error: item.malformed });
        else if (deadLetterError !== null) toDeadLetter.push({ item, error: deadLetterError });
        else if (item.skip || (this.handles && !this.handles.has(item.delivery!.envelope.type))) result.skipped++;
        else toApply.push(item);
      }
      if (toApply.length > 0) {
        try {
          await definition.apply(toApply.map((i) => i.delivery!), projectionContext(sql, version));
        } catch (error) {
          if (handsBatchBack(error)) throw error;
          for (const item of toApply) item.attempts++;
          throw new ApplyFailed(error);
        }
        result.applied = toApply.length;
      }
      await deadLetters.writeMany(sql, toDeadLetter.map(({ item, error }) => ({ consumer, message: item.message, error, attempts: Math.max(item.attempts, 1) })));
      result.deadLettered += toDeadLetter.length;
      if (nextOffset !== checkpoint.nextOffset) {
        await saveCheckpoint(sql, consumer, topic, partition, { nextOffset, sequence }, lastEventAt === null ? null : new Date(lastEventAt));
      }
      return result;
    }, this.transactionOptions);
  }

  /** Waits before a retry, heartbeating so the group does not evict a member that is only backing off. */
  private async backoff(context: BatchContext, retry: number): Promise<void> {
    let remaining = backoffMs(this.deps.policy, retry);
    while (remaining > 0) {
      const slice = Math.min(remaining, HEARTBEAT_SLICE_MS);
      await sleep(slice);
      remaining -= slice;
      this.assertOwned(context);
      await context.heartbeat();
    }
  }

  /** A delivered batch's items: where the log read each from, and where it reads next after the last. */
  private decodeBatch(batch: LogBatch): Item[] {
    const last = batch.messages.length - 1;
    return batch.messages.map((m, i) => this.decode(m, i === 0 ? batch.fetchedFrom ?? m.offset : batch.messages[i - 1].offset + 1, i === last ? batch.readUpTo ?? null : null));
  }

  /** Per message on the hot path: the delivery's sequence is the item's, read from the header once. */
  private decode(message: LogMessage, fetchedFrom: number, readUpTo: number | null): Item {
    const decoded = decodeFor(this.deps.definition, message);
    if ('delivery' in decoded) return { message, sequence: decoded.delivery.sequence, attempts: 0, delivery: decoded.delivery, malformed: null, skip: false, fetchedFrom, readUpTo };
    const sequence = parseSequence(message.headers[HEADER.sequence]);
    if ('skip' in decoded) return { message, sequence, attempts: 0, delivery: null, malformed: null, skip: true, fetchedFrom, readUpTo };
    return { message, sequence, attempts: 0, delivery: null, malformed: describeError(decoded.malformed), skip: false, fetchedFrom, readUpTo };
  }

  /** Stopping or revoked: leave without committing, so the log delivers this batch again. */
  private assertOwned(context: BatchContext): void {
    if (!context.isRunning()) throw new PartitionReleased(`${this.deps.consumer}: partition released while retrying`);
  }
}

/**
 * The duplicate rule of one partition (invariant 4 of docs/architecture.md), exported so the test kit runs this
 * very rule instead of a copy. A message is a duplicate when
 *   - its offset is below the checkpoint's next offset (Kafka redelivers after a restart or a
 *     rebalance), or
 *   - it carries a relay sequence not above the highest applied (the relay re-sent it after a
 *     crash: same event, new offset).
 * The next offset moves past every message at or above it, re-sends included, so they are not
 * read again; the sequence moves with every new event, dead-lettered or skipped ones too.
 */
export function admit(checkpoint: Checkpoint, offset: number, sequence: LogSequence | null): { duplicate: boolean; checkpoint: Checkpoint } {
  if (offset < checkpoint.nextOffset) return { duplicate: true, checkpoint };
  const nextOffset = offset + 1;
  if (sequence && !isAbove(sequence, checkpoint.sequence)) return { duplicate: true, checkpoint: { nextOffset, sequence: checkpoint.sequence } };
  return { duplicate: false, checkpoint: { nextOffset, sequence: sequence ?? checkpoint.sequence } };
}

function add(total: BatchOutcome, part: BatchOutcome): void {
  if (part.seekTo !== undefined) total.seekTo = part.seekTo;
  total.applied += part.applied;
  total.skipped += part.skipped;
  total.duplicates += part.duplicates;
  total.deadLettered += part.deadLettered;
}
