import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { compareSeq, parseSeq, Seq, sleep } from './util';

export interface TopicMessage {
  partition: number;
  offset: number;
  eventId: string | null;
  seq: Seq | null;
  value: string;
}

/**
 * Reads whole topics from the beginning with a fresh consumer group (no offsets of the system's
 * own consumers are used or moved), up to the end offsets taken before reading.
 */
export async function readTopics(brokers: string, prefix: string, topics: string[], timeoutMs: number): Promise<Map<string, TopicMessage[]>> {
  const kafka = new Kafka({ clientId: 'streamfold-chaos-verify', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const target = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(prefix + topic)) {
        if (Number(p.high) > Number(p.low)) target.set(`${topic}:${p.partition}`, Number(p.high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const result = new Map<string, TopicMessage[]>(topics.map((t) => [t, []]));
  const position = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `chaos-verify-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.map((t) => prefix + t), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const topic = batch.topic.slice(prefix.length);
        const list = result.get(topic)!;
        for (const m of batch.messages) {
          const header = (name: string) => {
            const v = m.headers?.[name];
            return v === undefined || v === null ? undefined : Array.isArray(v) ? String(v[0]) : v.toString();
          };
          list.push({
            partition: batch.partition,
            offset: Number(m.offset),
            eventId: header('sf-event-id') ?? null,
            seq: parseSeq(header('sf-seq')),
            value: m.value?.toString() ?? '',
          });
          position.set(`${topic}:${batch.partition}`, Number(m.offset) + 1);
        }
      },
    });
    const deadline = Date.now() + timeoutMs;
    const done = () => [...target].every(([key, high]) => (position.get(key) ?? 0) >= high);
    while (!done()) {
      if (Date.now() > deadline) {
        const behind = [...target].filter(([k, h]) => (position.get(k) ?? 0) < h).map(([k, h]) => `${k} at ${position.get(k) ?? 0}/${h}`);
        throw new Error(`reading Kafka timed out after ${timeoutMs} ms: ${behind.slice(0, 5).join(', ')}`);
      }
      await sleep(100);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  // One partition's messages in offset order (batches of different partitions interleave).
  for (const list of result.values()) list.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return result;
}

export interface PartitionAudit {
  messages: number;
  /** Messages whose sf-seq is not above the highest seen on their partition: consumers drop them. */
  resends: number;
  /** Of those, messages carrying an event id not seen before on the partition: dropped, never applied. */
  droppedUnseen: string[];
  /** Accepted messages (above the partition's highest sf-seq) of a stream whose position went backwards. */
  orderViolations: number;
  /** The message a Streamfold consumer applies last for each key (event id -> value), by stream. */
  accepted: TopicMessage[];
}

/**
 * Replays a topic the way a Streamfold consumer does (libs/projections partition-processor):
 * per partition, a message applies only if its sf-seq is above the highest applied. Anything
 * else is a relay re-send; if its event id was never seen, the consumer would drop a real event.
 */
export function auditTopic(messages: TopicMessage[]): PartitionAudit {
  const audit: PartitionAudit = { messages: messages.length, resends: 0, droppedUnseen: [], orderViolations: 0, accepted: [] };
  let partition = -1;
  let highest: Seq | null = null;
  let seen = new Set<string>();
  let streamPos = new Map<string, number>();
  for (const m of messages) {
    if (m.partition !== partition) {
      partition = m.partition;
      highest = null;
      seen = new Set();
      streamPos = new Map();
    }
    if (m.seq && highest && compareSeq(m.seq, highest) <= 0) {
      audit.resends++;
      if (m.eventId && !seen.has(m.eventId)) audit.droppedUnseen.push(m.eventId);
      continue;
    }
    if (m.seq) highest = m.seq;
    if (m.eventId) seen.add(m.eventId);
    try {
      const e = JSON.parse(m.value) as { streamId: string; streamPosition: number | null };
      if (e.streamPosition !== null) {
        const before = streamPos.get(e.streamId);
        if (before !== undefined && e.streamPosition <= before) audit.orderViolations++;
        streamPos.set(e.streamId, Math.max(before ?? 0, e.streamPosition));
      }
    } catch {
      // not an envelope: counted by the event-id checks instead
    }
    audit.accepted.push(m);
  }
  return audit;
}
