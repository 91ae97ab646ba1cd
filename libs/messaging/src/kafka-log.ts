import { Admin, Consumer, Kafka, logLevel as KafkaLogLevel, LogEntry, Producer } from 'kafkajs';
import type {
  ConsumeOptions,
  ConsumerHandle,
  LogMessage,
  MessageLog,
  OutgoingMessage,
  PartitionOffsets,
  TopicSpec,
} from './message-log.port';

export interface KafkaLogOptions {
  brokers: string[];
  clientId: string;
  prefix?: string;
  /** Receives kafkajs log lines (warn and above). */
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/**
 * MessageLog on Apache Kafka through kafkajs. The producer is idempotent (acks=all, one request
 * in flight) so retries never reorder or duplicate within a partition; consumers commit a batch's
 * offsets only after the handler resolved, so a crash redelivers instead of losing.
 */
export class KafkaMessageLog implements MessageLog {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private admin: Admin | null = null;
  private producer: Producer | null = null;
  private producerReady: Promise<Producer> | null = null;
  private readonly consumers = new Set<ConsumerHandle>();

  constructor(private readonly options: KafkaLogOptions) {
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
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(this.physicalName(s.name)));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: this.physicalName(s.name),
        numPartitions: s.partitions,
        replicationFactor: -1,
        configEntries: [
          ...(s.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(s.retentionMs) }] : []),
          ...(s.cleanupPolicy ? [{ name: 'cleanup.policy', value: s.cleanupPolicy }] : []),
        ],
      })),
    });
  }

  private getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      this.producerReady = producer.connect().then(() => {
        this.producer = producer;
        return producer;
      });
      this.producerReady.catch(() => (this.producerReady = null));
    }
    return this.producerReady;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    await producer.send({
      topic: this.physicalName(topic),
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key,
        value: m.value,
        headers: m.headers,
        timestamp: m.timestamp !== undefined ? String(m.timestamp) : undefined,
      })),
    });
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
      maxWaitTimeInMs: 100,
      retry: { retries: 10 },
    });
    let assignment: Array<{ topic: string; partition: number }> = [];
    let running = true;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      assignment = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic: this.logicalName(topic), partition })),
      );
      options.onAssignment?.(assignment);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: options.topics.map((t) => this.physicalName(t)),
      fromBeginning: options.fromBeginning ?? true,
    });
    const maxBatch = options.maxBatchSize ?? 1000;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const topic = this.logicalName(batch.topic);
        const all = batch.messages;
        for (let start = 0; start < all.length; start += maxBatch) {
          if (!isRunning() || isStale() || !running) return;
          const slice = all.slice(start, start + maxBatch);
          const messages: LogMessage[] = slice.map((m) => ({
            topic,
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key ? m.key.toString() : null,
            value: m.value ?? Buffer.alloc(0),
            headers: decodeHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }));
          await options.eachBatch(
            { topic, partition: batch.partition, messages, highWatermark: Number(batch.highWatermark) },
            { isRunning: () => running && isRunning() && !isStale(), heartbeat },
          );
          const last = slice[slice.length - 1].offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
          await heartbeat();
        }
      },
    });
    const handle: ConsumerHandle = {
      groupId: options.groupId,
      assignment: () => assignment,
      stop: async () => {
        running = false;
        this.consumers.delete(handle);
        await consumer.disconnect();
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

function decodeHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = Buffer.isBuffer(v) ? v.toString() : Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

function isLeadershipError(error: unknown): boolean {
  const type = (error as { type?: string })?.type;
  return type === 'NOT_LEADER_FOR_PARTITION' || type === 'LEADER_NOT_AVAILABLE' || type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

async function retryWhile<T>(retriable: (error: unknown) => boolean, fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !retriable(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
    }
  }
}
