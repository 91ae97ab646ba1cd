import { Admin, Consumer, ICustomPartitioner, Kafka, logLevel as KafkaLogLevel, LogEntry, Producer } from 'kafkajs';
import type {
  ConsumeOptions,
  ConsumerHandle,
  LogMessage,
  MessageLog,
  OutgoingMessage,
  PartitionOffsets,
  TopicMessages,
  TopicSpec,
} from './message-log.port';
import { partitionForKey } from './message-log.port';
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix';
import { fixKafkajsFetchPath } from './kafkajs-fetch-path';
import { fixKafkajsRecordDecoder } from './kafkajs-record-decoder';
import { fixKafkajsRecordEncoder } from './kafkajs-record-encoder';

/** How to reach Kafka, and how this environment's names are kept apart on a shared broker. */
export interface KafkaLogOptions {
  brokers: string[];
  clientId: string;
  /** Prepended to topic names and group ids (KAFKA_TOPIC_PREFIX). @default '' */
  prefix?: string;
  /**
   * Replicas of each topic created by ensureTopics. @default min(3, brokers in the cluster), so a
   * single broker keeps replication factor 1 and a three-broker cluster survives losing one
   */
  replicationFactor?: number;
  /**
   * `min.insync.replicas` of each created topic: with acks=all a write is acknowledged only once
   * this many replicas have it. @default 2 when the replication factor is 3 or more, else the broker's
   */
  minInsyncReplicas?: number;
  /** Receives kafkajs log lines (warn and above). */
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/**
 * MessageLog on Apache Kafka through kafkajs. The producer is idempotent (acks=all, one request
 * in flight) so retries never reorder or duplicate within a partition; on a cluster each send
 * goes out as one request per partition (see splitByPartition); consumers commit a batch's
 * offsets only after the handler resolved, so a crash redelivers instead of losing. Those commits
 * are periodic rather than awaited per batch (see OffsetCommitter).
 */
export class KafkaMessageLog implements MessageLog {
  readonly kind = 'kafka' as const;
  readonly gathersFetches = true;
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private admin: Admin | null = null;
  private producer: Producer | null = null;
  private producerReady: Promise<Producer> | null = null;
  private readonly consumers = new Set<ConsumerHandle>();
  private brokers: Promise<number> | null = null;
  private readonly partitions = new Map<string, number>();
  private readonly partitionsAt = new Map<string, number>();
  private roundRobin = 0;

  constructor(private readonly options: KafkaLogOptions) {
    fixKafkajsIdleLoop();
    fixKafkajsFetchPath();
    fixKafkajsRecordDecoder();
    fixKafkajsRecordEncoder();
    this.prefix = options.prefix ?? '';
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        if (!options.log) return;
        const { message, ...extra } = entry.log;
        options.log(entry.level === KafkaLogLevel.ERROR ? 'error' : 'warn', `kafkajs ${entry.namespace}: ${message}`, extra);
      },
    });
  }

  /** The underlying kafkajs client, for transactional producers and admin tooling. */
  get client(): Kafka {
    return this.kafka;
  }

  physicalName(logicalName: string): string {
    return this.prefix + logicalName;
  }

  private logicalName(physical: string): string {
    return physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    // A busy cluster may answer a new topic's metadata before every node hosts it (seen on three
    // nodes: "This server does not host this topic-partition" while waiting for leaders): again,
    // and the topics already made count as there.
    await retryWhile(isLeadershipError, () => this.createMissing(admin, specs));
  }

  private async createMissing(admin: Admin, specs: TopicSpec[]): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(this.physicalName(s.name)));
    if (missing.length === 0) return;
    // Created without kafkajs' waitForLeaders: its wait gives up at the first "unknown topic"
    // answer from a broker whose metadata cache has not caught up yet (seen under load).
    const { replicationFactor, minInsync } = await this.replication(admin);
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: this.physicalName(s.name),
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: [
          ...(minInsync !== undefined ? [{ name: 'min.insync.replicas', value: String(minInsync) }] : []),
          ...(s.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(s.retentionMs) }] : []),
          ...(s.cleanupPolicy ? [{ name: 'cleanup.policy', value: s.cleanupPolicy }] : []),
        ],
      })),
    });
    await this.waitForLeaders(missing.map((s) => this.physicalName(s.name)));
  }

  /** Until every partition of the topics has a leader; "unknown topic" while metadata propagates is retried. */
  private async waitForLeaders(topics: string[], timeoutMs = 30_000): Promise<void> {
    const admin = await this.getAdmin();
    const deadline = Date.now() + timeoutMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
      }
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /**
   * Replication of new topics. Unset options follow the cluster's size: one broker keeps the
   * broker's defaults (replication factor -1, as before), three or more get 3 replicas and
   * min.insync.replicas=2, so acks=all survives one broker down without losing an acknowledged write.
   */
  private async replication(admin: Admin): Promise<{ replicationFactor: number; minInsync?: number }> {
    let replicationFactor = this.options.replicationFactor;
    if (replicationFactor === undefined) {
      const brokers = (await admin.describeCluster()).brokers.length;
      replicationFactor = brokers > 1 ? Math.min(3, brokers) : -1;
    }
    const minInsync = this.options.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : undefined);
    if (minInsync !== undefined && replicationFactor > 0 && minInsync > replicationFactor) {
      throw new Error(`min.insync.replicas (${minInsync}) cannot exceed the replication factor (${replicationFactor})`);
    }
    return { replicationFactor, minInsync };
  }

  private getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      // Every message is sent with its partition (partitionForKey, Kafka's own mapping): kafkajs'
      // partitioner hashed each key again and filtered the partition list per message (~8 % of
      // the host's allocations at 1,000 likes/s).
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: givenPartition });
      this.producerReady = producer.connect().then(() => {
        this.producer = producer;
        return producer;
      });
      this.producerReady.catch(() => (this.producerReady = null));
    }
    return this.producerReady;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.sendBatch([{ topic, messages }]);
  }

  /**
   * Every topic's messages at once. On a single broker that is one produce request (kafkajs
   * sendBatch): one round trip instead of one per topic. On a cluster it is one request per
   * partition, sent together (see splitByPartition).
   */
  async sendBatch(batches: TopicMessages[]): Promise<void> {
    const nonEmpty = batches.filter((b) => b.messages.length > 0);
    if (nonEmpty.length === 0) return;
    const producer = await this.getProducer();
    const toKafka = (m: OutgoingMessage, partition?: number) => ({
      key: m.key,
      value: m.value,
      headers: m.headers,
      partition,
      timestamp: m.timestamp !== undefined ? String(m.timestamp) : undefined,
    });
    const physical = nonEmpty.map(({ topic, messages }) => ({ topic: this.physicalName(topic), messages }));
    try {
      if ((await this.brokerCount()) <= 1) {
        const topicMessages = [];
        for (const { topic, messages } of physical) {
          const partitions = await this.partitionCount(topic);
          const roundRobin = this.roundRobin++;
          topicMessages.push({ topic, messages: messages.map((m) => toKafka(m, partitionForKey(m.key, partitions, roundRobin))) });
        }
        await producer.sendBatch({ acks: -1, topicMessages });
        return;
      }
      const requests: Array<Promise<unknown>> = [];
      for (const { topic, messages } of physical) {
        for (const [partition, list] of splitByPartition(messages, await this.partitionCount(topic), this.roundRobin++)) {
          requests.push(producer.send({ topic, acks: -1, messages: list.map((m) => toKafka(m, partition)) }));
        }
      }
      await Promise.all(requests);
    } catch (error) {
      if (isProducerStateError(error)) this.replaceProducer(producer, error as Error);
      for (const { topic } of physical) this.partitions.delete(topic); // partitions may have been added: count them again
      throw error;
    }
  }

  /**
   * Brokers in the cluster, asked once per process: a single broker grown into a cluster while
   * this process runs keeps one request per send (exposed to kafkajs issue 1303) until it restarts.
   */
  private async brokerCount(): Promise<number> {
    this.brokers ??= this.getAdmin().then(async (admin) => (await admin.describeCluster()).brokers.length);
    this.brokers.catch(() => (this.brokers = null));
    return this.brokers;
  }

  /** Partitions of a topic, asked again after PARTITIONS_TTL_MS (partitions may be added) or after a failed send. */
  private async partitionCount(physicalTopic: string): Promise<number> {
    let count = this.partitions.get(physicalTopic);
    if (count !== undefined && Date.now() - (this.partitionsAt.get(physicalTopic) ?? 0) > PARTITIONS_TTL_MS) count = undefined;
    if (count === undefined) {
      const admin = await this.getAdmin();
      const metadata = await retryWhile(isLeadershipError, () => admin.fetchTopicMetadata({ topics: [physicalTopic] }));
      count = metadata.topics[0].partitions.length;
      this.partitions.set(physicalTopic, count);
      this.partitionsAt.set(physicalTopic, Date.now());
    }
    return count;
  }

  /**
   * An idempotent producer whose sequence numbers the brokers no longer accept (seen in the
   * three-broker chaos run after a leader moved: every retry failed with "out of order sequence
   * number" until the process restarted) never recovers by itself. The next send gets a new one,
   * with a new producer id; what the old one may have written twice is dropped downstream by
   * the relay sequence (invariant 4 of docs/architecture.md), like any relay re-send.
   */
  private replaceProducer(producer: Producer, error: Error): void {
    if (this.producer !== producer) return;
    this.producer = null;
    this.producerReady = null;
    this.options.log?.('warn', `kafka producer reset after an error it cannot recover from: ${error.message}`, {});
    void producer.disconnect().catch(() => undefined);
  }

  async consume(options: ConsumeOptions): Promise<ConsumerHandle> {
    const groupId = this.physicalName(options.groupId);
    const consumer: Consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10000,
      rebalanceTimeout: 20000,
      heartbeatInterval: 1000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      // How long the broker holds a fetch that finds nothing (it answers at once when data
      // arrives: minBytes is 1), so this costs no latency. Kafka's own default: at 100 ms every
      // idle group cost ten empty fetches a second, and a host runs a few dozen groups. A member
      // that gathers a window (fetchGather) has the broker hold its fetch for the window instead.
      maxWaitTimeInMs: options.fetchGather?.waitMs ?? options.fetchMaxWaitMs ?? FETCH_MAX_WAIT_MS,
      ...(options.fetchGather ? { minBytes: options.fetchGather.bytes } : {}),
      retry: { retries: 10 },
    });
    let assignment: Array<{ topic: string; partition: number }> = [];
    let running = true;
    let failure: Error | null = null;
    // kafkajs 2.2.4 restarts a member after a retriable crash (a broker restart) by building a new
    // runner that sets itself running only once it has joined the group; a stop() or disconnect()
    // meanwhile finds no running runner and returns at once, and the new runner then joins and
    // fetches for nobody. Such a member kept its partitions and heartbeats, and re-fetched them
    // without end because a stopped handle's batches resolve nothing: 100 % of a core, and the
    // replacement consumer got no partitions (the logs outage scenario's stall). A member that joins
    // or hands over a batch once stop() has disconnected it, or that joined while stop() ran, is
    // disconnected again.
    let stopped = false;
    let joinedWhileStopping = false;
    let stoppingZombie = false;
    const stopZombie = () => {
      if (stoppingZombie) return;
      stoppingZombie = true;
      this.options.log?.('warn', `kafka consumer of ${groupId} joined or fetched after it was stopped (a restart or rejoin that raced the stop); stopping it again`, {});
      // Not awaited: disconnect() waits for the batch in flight, which may be the caller.
      setImmediate(() => void consumer.disconnect().catch(() => undefined).finally(() => (stoppingZombie = false)));
    };
    const offsets = new OffsetCommitter(consumer, COMMIT_INTERVAL_MS, (error) =>
      this.options.log?.('warn', `kafka offset commit of ${groupId} failed (the next one retries): ${(error as Error).message}`, {}),
    );
    // Counts joins: a deferred batch commits only within the generation that fetched it.
    let generation = 0;
    // A fetch whose records kafkajs filtered out entirely (an aborted transaction, markers) is
    // resolved without eachBatch; the partition's next batch is then read from past it. Per
    // partition, where the last such fetch's records began and where it ended, so that batch can
    // say it was read from there (LogBatch.fetchedFrom): nothing in between was for the consumer.
    const filtered = new Map<string, { from: number; to: number }>();
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.firstOffset == null) return;
      filtered.set(`${payload.topic}:${payload.partition}`, { from: Number(payload.firstOffset), to: Number(payload.lastOffset) + 1 });
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      generation++;
      assignment = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic: this.logicalName(topic), partition })),
      );
      offsets.retain(event.payload.memberAssignment);
      filtered.clear();
      if (stopped) return stopZombie();
      if (!running) joinedWhileStopping = true;
      else {
        options.onAssignment?.(assignment);
        seekToStarts(generation, assignment);
      }
    });
    // The handler's own offsets, asked for at each join: a seek lands at the partition's next fetch
    // (kafkajs drops fetch responses while a seek is pending, and this loop skips batches it made
    // stale); a batch already with the handler is the handler's to check (LogBatch.fetchedFrom).
    // Nothing is sought once the group moved on.
    const seekToStarts = (joined: number, assigned: Array<{ topic: string; partition: number }>) => {
      if (!options.startAt) return;
      options.startAt(assigned).then(
        (starts) => {
          if (generation !== joined || !running || stopped) return;
          for (const s of starts) {
            offsets.forget(this.physicalName(s.topic), s.partition);
            filtered.delete(`${this.physicalName(s.topic)}:${s.partition}`);
            consumer.seek({ topic: this.physicalName(s.topic), partition: s.partition, offset: String(s.offset) });
          }
        },
        (error) => this.options.log?.('warn', `kafka consumer of ${groupId}: where to start its partitions is unknown (${(error as Error).message}); reading from the group's offsets`, {}),
      );
    };
    // kafkajs restarts a member after a retriable error by itself; after any other it stops for
    // good while keeping its last assignment, and the owner must replace it.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || !running) return;
      failure = event.payload.error;
      this.options.log?.('warn', `kafka consumer of ${groupId} stopped after an error it does not retry: ${failure.message}`, {});
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: options.topics.map((t) => this.physicalName(t)),
        fromBeginning: options.fromBeginning ?? true,
      });
    } catch (error) {
      // A member that never ran must not linger connected: its owner retries with a new one.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    const maxBatch = options.maxBatchSize ?? 1000;
    const wanted = options.headers;
    // A rebalance surfaces as a failing heartbeat: commit what was processed before the
    // partitions move, so their next owner does not re-read it (bounded: the group is waiting).
    const heartbeatOrCommit = (heartbeat: () => Promise<void>) => async () => {
      try {
        await heartbeat();
      } catch (error) {
        await Promise.race([offsets.flush(), new Promise((r) => setTimeout(r, REBALANCE_FLUSH_MS))]);
        throw error;
      }
    };
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency ?? 4,
      eachBatch: ({ batch, resolveOffset, heartbeat: rawHeartbeat, isRunning, isStale }) => offsets.track(async () => {
        if (stopped) return stopZombie();
        const topic = this.logicalName(batch.topic);
        const heartbeat = heartbeatOrCommit(rawHeartbeat);
        const all = batch.messages;
        // Where this batch was read from, and where kafkajs reads next once it is resolved (past
        // trailing transaction markers and aborted records, which it filters out).
        let fetchedFrom = Number((batch as unknown as { fetchedOffset: string }).fetchedOffset);
        const readUpTo = Number(batch.lastOffset()) + 1;
        const key = `${batch.topic}:${batch.partition}`;
        const skipped = filtered.get(key);
        filtered.delete(key);
        // Read right after a fetch kafkajs filtered out entirely: reading went on from that fetch's records.
        if (skipped?.to === fetchedFrom) fetchedFrom = Math.min(fetchedFrom, skipped.from);
        for (let start = 0; start < all.length; start += maxBatch) {
          if (!isRunning() || isStale() || !running) return;
          const slice = all.slice(start, start + maxBatch);
          const messages: LogMessage[] = slice.map((m) => ({
            topic,
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key ? m.key.toString() : null,
            value: m.value ?? Buffer.alloc(0),
            headers: decodeHeaders(m.headers, wanted),
            timestamp: Number(m.timestamp),
          }));
          const fetchedIn = generation;
          const outcome = await options.eachBatch(
            { topic, partition: batch.partition, messages, highWatermark: Number(batch.highWatermark), fetchedFrom, ...(start + maxBatch >= all.length ? { readUpTo } : {}) },
            { isRunning: () => running && isRunning() && !isStale(), heartbeat },
          );
          if (outcome && 'seekTo' in outcome) {
            // Nothing of this batch counts: the batch is stale from here, and the partition is
            // fetched again from the offset asked for.
            offsets.forget(batch.topic, batch.partition);
            filtered.delete(key);
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(outcome.seekTo) });
            return;
          }
          const last = slice[slice.length - 1].offset;
          // The fetch position moves on either way; a deferred batch's offset is committed later.
          resolveOffset(last);
          fetchedFrom = Number(last) + 1;
          offsets.resolved(batch.topic, batch.partition, start + maxBatch >= all.length ? readUpTo : fetchedFrom, outcome?.durable, () => generation === fetchedIn);
          await heartbeat();
        }
      }),
    });
    offsets.start();
    const handle: ConsumerHandle = {
      groupId: options.groupId,
      assignment: () => assignment,
      failure: () => failure,
      stop: async () => {
        running = false;
        this.consumers.delete(handle);
        // Batches in flight end early (running is false) or finish; what they resolved is
        // committed while this member still owns its partitions, then it leaves the group.
        // Bounded: a batch that never returns must not keep a stalled member in the group.
        await Promise.race([offsets.close(), new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
        // Bounded too: a disconnect stuck behind a hung fetch or rejoin (seen in the chaos run after a
        // broker restart) would block a stalled consumer's restart forever. An abandoned member
        // processes nothing more (running is false), and is stopped again if it still fetches or joins.
        const left = await Promise.race([consumer.disconnect().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), STOP_WAIT_MS).unref())]);
        // From here on a batch or a join of this member means kafkajs restarted it behind the stop;
        // a join during the stop may have come after the disconnect had found nothing to stop.
        stopped = true;
        if (joinedWhileStopping) stopZombie();
        if (!left) this.options.log?.('warn', `kafka consumer of ${groupId} did not disconnect in ${STOP_WAIT_MS} ms; abandoning it`, {});
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.getAdmin();
    // Right after creation a partition's leader may not be known yet: retry that briefly.
    const rows = await retryWhile(isLeadershipError, () => admin.fetchTopicOffsets(this.physicalName(topic)));
    return rows
      .map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.getAdmin();
    const result = await admin.fetchOffsets({ groupId: this.physicalName(groupId), topics: [this.physicalName(topic)] });
    const map = new Map<number, number>();
    for (const p of result[0]?.partitions ?? []) {
      if (Number(p.offset) >= 0) map.set(p.partition, Number(p.offset));
    }
    return map;
  }

  async ping(): Promise<void> {
    const admin = await this.getAdmin();
    await admin.describeCluster();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = null;
    this.producerReady = null;
    this.admin = null;
  }
}

/** Longest a fetch waits for data on an idle partition (Kafka's fetch.max.wait.ms default). */
const FETCH_MAX_WAIT_MS = 500;
/** How often resolved offsets are committed to the group. */
const COMMIT_INTERVAL_MS = 1000;
/** Longest a rebalancing member spends committing before it rejoins. */
const REBALANCE_FLUSH_MS = 2000;
/** How long stop() waits for batches in flight before leaving the group anyway. */
const STOP_WAIT_MS = 15_000;

/**
 * Commits consumed offsets to the group in the background instead of awaiting one commit per
 * batch: a round trip to the coordinator per batch halved the throughput of projections. That is
 * safe because a group's committed offset only decides where reading resumes; whatever needs
 * exactly-once keeps its own checkpoint (projections: in PostgreSQL, with their effects), so a
 * crash between two commits only re-reads up to one interval. stop() and a rebalance (a failing
 * heartbeat) flush at once, so orderly hand-overs re-read nothing.
 */
class OffsetCommitter {
  private pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Per partition, the last deferred batch's commit: later batches commit after it. */
  private readonly deferred = new Map<string, Promise<void>>();

  constructor(
    private readonly consumer: Consumer,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs one eachBatch call, so close() can wait for the calls still running. */
  track(batch: () => Promise<void>): Promise<void> {
    const run = batch();
    const settled = run.then(() => undefined, () => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return run;
  }

  /**
   * `next` is the offset to read next (last processed + 1). With `durable` (a DeferredCommit) it
   * is committed once that and every earlier deferred batch of the partition resolved, and only
   * if `valid()` still holds then; a rejection stops the partition's commits until the next join.
   */
  resolved(topic: string, partition: number, next: number, durable?: Promise<void>, valid: () => boolean = () => true): void {
    const key = `${topic}:${partition}`;
    const earlier = this.deferred.get(key);
    if (!durable && !earlier) {
      this.pending.set(key, { topic, partition, offset: String(next) });
      return;
    }
    const chain = (earlier ?? Promise.resolve()).then(() => durable).then(() => {
      if (valid()) this.pending.set(key, { topic, partition, offset: String(next) });
    });
    this.deferred.set(key, chain);
    const settled = chain.then(() => undefined, () => undefined);
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      if (this.deferred.get(key) === chain) this.deferred.delete(key);
    });
  }

  /** Drops a partition's resolved offset not committed yet: the handler asked to read it again from further back. */
  forget(topic: string, partition: number): void {
    this.pending.delete(`${topic}:${partition}`);
  }

  /**
   * After a rebalance, forgets partitions this member lost: committing them now could move the
   * new owner's offset back (only a re-read, but pointless). Deferred batches of the previous
   * generation no longer commit (their valid() fails), so their chains are dropped.
   */
  retain(assignment: Record<string, number[]>): void {
    this.deferred.clear();
    for (const [key, { topic, partition }] of this.pending) {
      if (!assignment[topic]?.includes(partition)) this.pending.delete(key);
    }
  }

  /** Commits what was resolved since the last flush; one commit at a time, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.consumer.commitOffsets([...batch.values()]);
      } catch (error) {
        // Keep them for the next flush unless a newer offset of the partition came meanwhile.
        for (const [key, value] of batch) if (!this.pending.has(key)) this.pending.set(key, value);
        this.onError(error);
      }
    });
    return this.flushing;
  }

  /**
   * Waits for the batches in flight (they stop early once the consumer is not running) and the
   * deferred ones, then commits.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A batch finishing meanwhile may add its deferred commit: wait until none is left.
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.flush();
  }
}

/** Headers as strings: all of them, or only `wanted` (a header's bytes are decoded only when someone reads it). */
function decodeHeaders(headers: Record<string, unknown> | undefined, wanted?: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  // Per message on every consumer's hot path: no entries array.
  if (wanted) {
    for (const k of wanted) if (headers[k] !== undefined && headers[k] !== null) out[k] = headerText(headers[k]);
  } else {
    for (const k in headers) if (headers[k] !== undefined && headers[k] !== null) out[k] = headerText(headers[k]);
  }
  return out;
}

function headerText(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString() : Array.isArray(v) ? String(v[0]) : String(v);
}

/**
 * Messages grouped by the partition Kafka's default partitioner gives their key (keyless ones
 * all go to one partition, rotating per call). On a cluster the relay sends each group in a
 * request of its own: kafkajs 2.2.4 retries a failed multi-broker send only to brokers that had
 * not answered yet, so a partition whose leader moved to a broker that already answered is
 * silently skipped and send() resolves without it (kafkajs issue 1303; seen in the three-broker
 * chaos run as an acknowledged event missing from Kafka). A one-partition request has one broker.
 */
export function splitByPartition<M extends { key: string | null }>(messages: M[], partitions: number, roundRobin: number): Map<number, M[]> {
  const groups = new Map<number, M[]>();
  for (const m of messages) {
    const partition = partitionForKey(m.key, partitions, roundRobin);
    const group = groups.get(partition);
    if (group) group.push(m);
    else groups.set(partition, [m]);
  }
  return groups;
}

/** How long a topic's partition count is trusted: kafkajs' own metadata refresh interval (metadataMaxAge). */
const PARTITIONS_TTL_MS = 5 * 60_000;

/** kafkajs partitioner that keeps the partition each message carries (sendBatch sets all of them). */
const givenPartition: ICustomPartitioner = () => ({ message, partitionMetadata }) =>
  message.partition ?? partitionForKey(message.key == null ? null : message.key.toString(), partitionMetadata.length, 0);

const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/** True when the broker lost or rejects a producer's idempotence state: only a new producer id helps. */
export function isProducerStateError(error: unknown): boolean {
  // kafkajs wraps the protocol error (cause) when its retries give up.
  for (let e = error as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && PRODUCER_STATE_ERRORS.has(e.type)) return true;
  }
  return false;
}

function isLeadershipError(error: unknown): boolean {
  const type = (error as { type?: string })?.type;
  if (type === 'NOT_LEADER_FOR_PARTITION' || type === 'LEADER_NOT_AVAILABLE' || type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  // kafkajs' fetchTopicOffsets destructures an empty answer when a just-created topic's metadata
  // has not reached the broker it asked yet ("Cannot destructure property 'partitions'"): the same race.
  return error instanceof TypeError && /partitions/.test(error.message);
}

/** About 30 s at the default 60 attempts: a new topic's leaders took longer than 8 s on a loaded two-core machine. */
async function retryWhile<T>(retriable: (error: unknown) => boolean, fn: () => Promise<T>, attempts = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !retriable(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
    }
  }
}
