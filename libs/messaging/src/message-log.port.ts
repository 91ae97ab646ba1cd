/**
 * The port every transport implements: Kafka (kafkajs) in production, the in-process log on the
 * embedded default and in fast tests. Names passed in and out are *logical* topic names and group
 * ids: the implementation adds KAFKA_TOPIC_PREFIX so environments sharing a broker never meet.
 */
/** A topic to create: logical name, partitions and retention. */
export interface TopicSpec {
  /** Logical name (no prefix). */
  name: string;
  partitions: number;
  /** Retention in ms; undefined keeps the broker default, -1 keeps forever. */
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact';
}

/** One message to send; its key decides the partition and so the order it is read in. */
export interface OutgoingMessage {
  /** Partitioning key; messages with one key land on one partition, in send order. */
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
  /** Event time in epoch ms. @default now */
  timestamp?: number;
}

/** One topic's share of a sendBatch. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** A message as consumed: where it sits (topic, partition, offset) and what was sent. */
export interface LogMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/** Consecutive messages of one partition, in offset order, handed to eachBatch together. */
export interface LogBatch {
  topic: string;
  partition: number;
  messages: LogMessage[];
  /** Offset of the next message to be written to this partition. */
  highWatermark: number;
  /**
   * The offset the log read this batch from: the offsets between it and the first message hold
   * no record for this consumer (compacted away, transaction markers, aborted records). A handler
   * that keeps its own offsets compares it with them: a batch read from past its offset skipped
   * records it never saw. @default the first message's offset
   */
  fetchedFrom?: number;
  /**
   * The offset the log reads next once this batch is consumed, when it is past the last message
   * (records after it that no consumer sees: a transaction's marker). A handler that keeps its own
   * offsets moves them there, so its next batch is read from where it stands. @default the last
   * message's offset + 1
   */
  readUpTo?: number;
}

/** What a batch handler can ask the consumer while it works on a batch. */
export interface BatchContext {
  /** False once stop() was called or the partition was revoked: finish quickly, commit nothing more. */
  isRunning(): boolean;
  heartbeat(): Promise<void>;
}

/**
 * What eachBatch resolves with when the batch's effects are not durable yet. The consumer goes on
 * fetching the partition at once (a log that can fetch ahead does; the embedded one waits), and
 * commits the batch's offsets only once `durable` and every earlier batch of the partition
 * resolved. A rejected `durable` commits nothing more of that partition for this member: the
 * handler must have it delivered again (the lake sink replaces its member, which resumes from the
 * last commit). Deferred batches of a partition this member lost are never committed, and stop()
 * waits (bounded) for the deferred batches before its last commit.
 */
export interface DeferredCommit {
  durable: Promise<void>;
}

/**
 * What eachBatch resolves with when it consumed nothing of the batch and wants the partition read
 * again from `seekTo` (a consumer whose own checkpoint is behind the group's offsets: a database
 * restored from a backup). Nothing of the batch is committed; the partition's next batch is read
 * from `seekTo`. An offset the log no longer holds resets the position as `fromBeginning` says, so
 * a handler asks only for offsets at or above the log's start.
 */
export interface SeekTo {
  seekTo: number;
}

/** A consumer group member: the group, its topics and the handler that receives each batch. */
export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. @default true (earliest) */
  fromBeginning?: boolean;
  /**
   * Called with one partition's batch at a time. Resolving marks the whole batch consumed (its
   * offsets are committed to the group); throwing stops the consumer's progress on that partition
   * and the batch is delivered again. Effects that must be exactly-once keep their own checkpoint.
   * A handler that makes a batch durable later (a sink gathering files) resolves with a
   * `DeferredCommit` instead: see there. One that finds the batch starts past what it applied
   * resolves with a `SeekTo`.
   */
  eachBatch(batch: LogBatch, context: BatchContext): Promise<void | DeferredCommit | SeekTo>;
  /** Partitions assigned to this member after each rebalance. */
  onAssignment?(assigned: Array<{ topic: string; partition: number }>): void;
  /**
   * Where this member reads the partitions assigned to it, for a handler that keeps its own
   * offsets (a projection's checkpoints, committed with its effects), which then say what was
   * consumed, not the group's: asked at every assignment, and each partition returned is read from
   * its offset (one left out starts at the group's offset). A log may hand over a batch fetched
   * before the answer: the handler still checks where each batch starts, and resolves with a
   * `SeekTo` when it starts past its own offset. A failing call leaves the group's offsets.
   */
  startAt?(assigned: Array<{ topic: string; partition: number }>): Promise<Array<{ topic: string; partition: number; offset: number }>>;
  /** Upper bound on messages per batch. @default 1000 */
  maxBatchSize?: number;
  /**
   * Partition batches handed to eachBatch at the same time (kafkajs partitionsConsumedConcurrently);
   * a handler that gathers a fetch's partitions into one transaction wants them all at once. @default 4
   */
  concurrency?: number;
  /**
   * Lets the log hold a fetch until `bytes` have arrived or `waitMs` passed (Kafka's
   * fetch.min.bytes and fetch.max.wait.ms), so a consumer that gathers records for a window anyway
   * gets the window's records in one fetch and can apply them at once, instead of fetching on the
   * first record and holding it while the window runs. Costs `waitMs` of latency, and an idle
   * member fetches every `waitMs`. Honoured only where `MessageLog.gathersFetches` is true.
   * @default none (a fetch answers as soon as one record is there)
   */
  fetchGather?: { waitMs: number; bytes: number };
  /**
   * How long a fetch that finds nothing waits at the broker for data (Kafka's fetch.max.wait.ms),
   * when not gathering. A stop waits for the fetch in flight, so a member that is stopped as soon
   * as it caught up (a rebuild's) wants it short; an idle member fetches every `fetchMaxWaitMs`.
   * @default 500
   */
  fetchMaxWaitMs?: number;
  /**
   * The headers this consumer reads: a log may leave the others out of `LogMessage.headers` (the
   * Kafka log then decodes only these per message; the lake sink reads one of four). @default all
   */
  headers?: readonly string[];
}

/** A running group member; stop() waits (bounded) for batches in flight, then leaves the group. */
export interface ConsumerHandle {
  readonly groupId: string;
  assignment(): Array<{ topic: string; partition: number }>;
  stop(): Promise<void>;
  /**
   * The error that stopped this member for good (the client gave up on it and will fetch nothing
   * more), or null while it runs. Its owner replaces such a member. Optional: a log whose members
   * never stop by themselves leaves it out.
   */
  failure?(): Error | null;
}

/** The range of offsets one partition currently holds. */
export interface PartitionOffsets {
  partition: number;
  /** First offset still held (retention may have dropped older ones). */
  low: number;
  /** Offset the next message will get. */
  high: number;
}

/**
 * A partitioned, replayable log with Kafka's semantics: order holds per partition and a key always
 * maps to one partition. send resolves once every message is durable; when it throws, some may be
 * written already, so the caller retries it whole and consumers drop the duplicates. Delivery is at
 * least once (again after a throw, a crash or a rebalance): exactly-once effects keep their own
 * checkpoint (docs/architecture.md, invariant 4).
 */
export interface MessageLog {
  readonly kind: 'kafka' | 'embedded';
  /** True when consume honours `ConsumeOptions.fetchGather`. @default false */
  readonly gathersFetches?: boolean;
  /** Full name on the broker (prefix applied). */
  physicalName(logicalName: string): string;
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  /** Idempotent, ordered per partition; resolves once every message is durably written. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Several topics' messages in one request where the transport can (one Kafka produce request),
   * each topic's list in order. Same contract as send: when it throws, some may be written, so the
   * caller retries it whole and consumers drop the duplicates. Optional: callers fall back to one
   * send per topic (test doubles implement only send).
   */
  sendBatch?(batches: TopicMessages[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<ConsumerHandle>;
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed offset (next to read) per partition; partitions never committed are absent. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  /** Throws when the log cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Nest injection token of the process's MessageLog. */
export const MESSAGE_LOG = Symbol('MESSAGE_LOG');

/** Kafka's default partitioner maps keys with murmur2; both transports use it so a key lands on the same partition number. */
export function partitionForKey(key: string | null, partitions: number, roundRobin: number): number {
  if (key === null) return roundRobin % partitions;
  return (toPositive(murmur2(Buffer.from(key))) % partitions);
}

function toPositive(x: number): number {
  return x & 0x7fffffff;
}

// murmur2 as in Kafka's Java client (and kafkajs' DefaultPartitioner), so embedded and Kafka agree.
function murmur2(data: Buffer): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const left = length % 4;
  const index = length - left;
  if (left >= 3) h ^= (data[index + 2] & 0xff) << 16;
  if (left >= 2) h ^= (data[index + 1] & 0xff) << 8;
  if (left >= 1) {
    h ^= data[index] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}
