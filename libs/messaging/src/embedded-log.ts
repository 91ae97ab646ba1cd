import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionForKey } from './message-log.port';
import type { BatchContext, ConsumeOptions, ConsumerHandle, LogMessage, MessageLog } from './message-log.port';
import type { OutgoingMessage, PartitionOffsets, TopicMessages, TopicSpec } from './message-log.port';

/** Naming, persistence and partitioning of an EmbeddedMessageLog. */
export interface EmbeddedMessageLogOptions {
  /** Prepended to topic names and group ids, like KAFKA_TOPIC_PREFIX. @default '' */
  prefix?: string;
  /** Directory for append-only partition files; null keeps everything in memory only. @default null */
  dir?: string | null;
  /** Partitions for a TopicSpec that gives none (0 or missing). @default 1 */
  partitionsDefault?: number;
}

type StoredMessage = Pick<LogMessage, 'key' | 'value' | 'headers' | 'timestamp'>;

/** Topic by logical name. */
type TopicPartition = { topic: string; partition: number };

/** Delivers one partition to one member; `wake` ends its current pause early (new data, stop). */
type Worker = { running: boolean; wake(): void; done: Promise<void> };

/** Workers are keyed by `${logicalTopic}:${partition}`. */
type Member = { options: ConsumeOptions; assigned: TopicPartition[]; workers: Map<string, Worker> };

interface Group {
  /** Where the committed offsets are persisted; null in memory-only mode. */
  file: string | null;
  /** Physical topic → partition → next offset to read. */
  committed: Map<string, Map<number, number>>;
  /** Live members in join order; the order drives the deterministic assignment. */
  members: Member[];
  /** Joins, leaves and rebalances run one after another, never interleaved. */
  queue: Promise<void>;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** Idle workers are woken on send; this timer is only a safety net against a missed wake-up. */
const IDLE_RECHECK_MS = 1000;
/** Kafka's legal topic characters; also keeps names safe as directory names. */
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * An in-process log with Kafka's semantics (partitions by murmur2 key, per-partition order, consumer
 * groups with rebalancing and committed offsets, at-least-once redelivery), optionally persisted to
 * `dir` as one append-only JSON-lines file per partition. One process owns a `dir` at a time.
 * Retention and compaction are not implemented: everything is kept, so `low` is always 0.
 */
export class EmbeddedMessageLog implements MessageLog {
  readonly kind = 'embedded' as const;
  private readonly prefix: string;
  private readonly dir: string | null;
  private readonly partitionsDefault: number;
  /** Physical topic name → partitions → messages (index = offset). */
  private readonly topics = new Map<string, StoredMessage[][]>();
  private readonly groups = new Map<string, Group>();
  /** Idle workers waiting for data, keyed by `${physicalTopic}:${partition}`. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private roundRobin = 0;
  private closed = false;

  constructor(options: EmbeddedMessageLogOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.dir = options.dir ?? null;
    this.partitionsDefault = options.partitionsDefault ?? 1;
    if (this.dir) mkdirSync(this.dir, { recursive: true });
  }

  physicalName(logicalName: string): string {
    return this.prefix + logicalName;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of specs) {
      const name = this.physicalName(spec.name);
      if (!LEGAL_TOPIC.test(name)) throw new Error(`invalid topic name "${name}"`);
      if (this.findTopic(name)) continue;
      const count = spec.partitions > 0 ? spec.partitions : this.partitionsDefault;
      if (!Number.isInteger(count) || count < 1) throw new Error(`topic ${name}: invalid partition count ${count}`);
      if (this.dir) writeAtomically(this.topicFile(name, 'meta.json'), JSON.stringify({ partitions: count }));
      this.topics.set(name, Array.from({ length: count }, () => []));
    }
  }

  /** Topic by topic: the embedded log has no round trip to save. */
  async sendBatch(batches: TopicMessages[]): Promise<void> {
    for (const { topic, messages } of batches) await this.send(topic, messages);
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    const physical = this.physicalName(topic);
    const partitions = this.requireTopic(topic);
    const byPartition = new Map<number, StoredMessage[]>();
    for (const message of messages) {
      const partition = partitionForKey(message.key, partitions.length, this.roundRobin++);
      const stored: StoredMessage = {
        key: message.key,
        value: Buffer.from(message.value), // a copy: later changes to the caller's buffer must not rewrite history
        headers: { ...message.headers },
        timestamp: message.timestamp ?? Date.now(),
      };
      if (!byPartition.has(partition)) byPartition.set(partition, []);
      byPartition.get(partition)!.push(stored);
    }
    for (const [partition, batch] of byPartition) {
      const log = partitions[partition];
      // Written to disk before memory, so a consumer never sees a message that a restart would lose.
      if (this.dir) {
        const lines = batch.map((m, i) => JSON.stringify({ offset: log.length + i, ...m, value: m.value.toString('base64') }));
        appendFileSync(this.topicFile(physical, `${partition}.jsonl`), lines.join('\n') + '\n');
      }
      log.push(...batch);
      this.notify(physical, partition);
    }
  }

  async consume(options: ConsumeOptions): Promise<ConsumerHandle> {
    this.assertOpen();
    for (const topic of options.topics) this.requireTopic(topic);
    const group = this.group(options.groupId);
    const member: Member = { options, assigned: [], workers: new Map() };
    await this.serialize(group, () => {
      this.assertOpen(); // close() may have run while this join waited its turn
      group.members.push(member);
      return this.rebalance(group);
    });
    return {
      groupId: options.groupId,
      assignment: () => member.assigned.map((tp) => ({ ...tp })),
      // Do not await stop() inside eachBatch: stop waits for that very batch to finish.
      stop: () => this.leave(group, member),
    };
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    return this.requireTopic(topic).map((log, partition) => ({ partition, low: 0, high: log.length }));
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    return new Map(this.group(groupId).committed.get(this.physicalName(topic)) ?? []);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.groups.values()].flatMap((group) => group.members.map((m) => this.leave(group, m))));
  }

  private leave(group: Group, member: Member): Promise<void> {
    return this.serialize(group, async () => {
      const index = group.members.indexOf(member);
      if (index < 0) return; // already stopped
      group.members.splice(index, 1);
      await Promise.all([...member.workers.values()].map((w) => this.stopWorker(w)));
      member.workers.clear();
      member.assigned = [];
      await this.rebalance(group);
    });
  }

  /** Revokes first and assigns after, so a partition never has two owners at once. */
  private async rebalance(group: Group): Promise<void> {
    const target = this.assign(group);
    const revoked: Promise<void>[] = [];
    for (const member of group.members) {
      const keep = new Set(target.get(member)!.map(tpKey));
      for (const [key, worker] of member.workers) {
        if (keep.has(key)) continue;
        member.workers.delete(key);
        revoked.push(this.stopWorker(worker));
      }
    }
    await Promise.all(revoked);
    for (const member of group.members) {
      const assigned = target.get(member)!;
      for (const tp of assigned) {
        if (!member.workers.has(tpKey(tp))) member.workers.set(tpKey(tp), this.startWorker(group, member, tp));
      }
      member.assigned = assigned;
      member.options.onAssignment?.(assigned.map((tp) => ({ ...tp })));
    }
  }

  /** Round-robin over all subscribed partitions (topics sorted, members in join order): deterministic. */
  private assign(group: Group): Map<Member, TopicPartition[]> {
    const result = new Map<Member, TopicPartition[]>(group.members.map((m) => [m, []]));
    if (this.closed) return result; // closing: members about to leave must not pick up revoked partitions
    const topics = [...new Set(group.members.flatMap((m) => m.options.topics))].sort();
    let turn = 0;
    for (const topic of topics) {
      const eligible = group.members.filter((m) => m.options.topics.includes(topic));
      const count = this.requireTopic(topic).length;
      for (let partition = 0; partition < count; partition++) {
        result.get(eligible[turn++ % eligible.length])!.push({ topic, partition });
      }
    }
    return result;
  }

  private startWorker(group: Group, member: Member, tp: TopicPartition): Worker {
    const physical = this.physicalName(tp.topic);
    const log = this.topics.get(physical)![tp.partition];
    const maxBatchSize = member.options.maxBatchSize ?? 1000;
    const worker: Worker = { running: true, wake: () => undefined, done: Promise.resolve() };
    const context: BatchContext = { isRunning: () => worker.running, heartbeat: async () => undefined };
    worker.done = (async () => {
      // The new owner resumes at the group's commit, so whatever the previous owner did not commit is redelivered.
      let position = group.committed.get(physical)?.get(tp.partition) ?? (member.options.fromBeginning === false ? log.length : 0);
      // The handler's own offset, when it keeps one, decides where the partition is read from.
      const start = await member.options.startAt?.([{ ...tp }]).catch(() => []);
      const own = start?.find((s) => s.topic === tp.topic && s.partition === tp.partition);
      if (own) position = Math.min(Math.max(own.offset, 0), log.length);
      let backoff = FIRST_BACKOFF_MS;
      while (worker.running) {
        if (position >= log.length) {
          await this.pause(worker, IDLE_RECHECK_MS, `${physical}:${tp.partition}`);
          continue;
        }
        const messages: LogMessage[] = log
          .slice(position, position + maxBatchSize)
          .map((m, i) => ({ ...tp, offset: position + i, ...m, headers: { ...m.headers } }));
        try {
          const outcome = await member.options.eachBatch({ topic: tp.topic, partition: tp.partition, messages, highWatermark: log.length, fetchedFrom: position }, context);
          if (outcome && 'seekTo' in outcome) {
            // Read again from there, committing nothing (a handler whose checkpoint is further back).
            position = Math.min(Math.max(outcome.seekTo, 0), log.length);
            continue;
          }
          // No fetching ahead here: a deferred batch is waited for before the partition's next one.
          await outcome?.durable;
        } catch {
          // Nothing is committed: the same batch comes again after the backoff.
          await this.pause(worker, backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
        // Revoked while the batch ran: the handler may have bailed out early on isRunning(), so committing
        // could skip messages. The next owner redelivers the batch instead (at-least-once).
        if (!worker.running) break;
        position += messages.length;
        backoff = FIRST_BACKOFF_MS;
        this.commit(group, physical, tp.partition, position);
      }
    })();
    return worker;
  }

  private stopWorker(worker: Worker): Promise<void> {
    worker.running = false;
    worker.wake();
    return worker.done;
  }

  /** Sleeps up to `ms`; ends early on stop, and on new data when `waitKey` names the partition. */
  private pause(worker: Worker, ms: number, waitKey?: string): Promise<void> {
    return new Promise((resolve) => {
      if (!worker.running) return resolve(); // stopped while the batch ran: no backoff before leaving
      const finish = () => {
        clearTimeout(timer);
        if (waitKey) this.waiters.get(waitKey)?.delete(finish);
        worker.wake = () => undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      worker.wake = finish;
      if (waitKey) {
        if (!this.waiters.has(waitKey)) this.waiters.set(waitKey, new Set());
        this.waiters.get(waitKey)!.add(finish);
      }
    });
  }

  private notify(physicalTopic: string, partition: number): void {
    const waiting = this.waiters.get(`${physicalTopic}:${partition}`);
    if (waiting) for (const wake of [...waiting]) wake();
  }

  private commit(group: Group, physicalTopic: string, partition: number, next: number): void {
    if (!group.committed.has(physicalTopic)) group.committed.set(physicalTopic, new Map());
    group.committed.get(physicalTopic)!.set(partition, next);
    if (group.file) {
      const json = Object.fromEntries([...group.committed].map(([topic, offsets]) => [topic, Object.fromEntries(offsets)]));
      writeAtomically(group.file, JSON.stringify(json));
    }
  }

  private serialize(group: Group, task: () => Promise<void>): Promise<void> {
    const run = group.queue.then(task);
    group.queue = run.catch(() => undefined); // one failed rebalance must not block every later one
    return run;
  }

  private group(groupId: string): Group {
    const physical = this.physicalName(groupId);
    let group = this.groups.get(physical);
    if (!group) {
      const file = this.dir ? join(this.dir, 'groups', `${encodeURIComponent(physical)}.json`) : null;
      group = { file, committed: new Map(), members: [], queue: Promise.resolve() };
      this.groups.set(physical, group);
      if (file && existsSync(file)) {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, number>>;
        for (const [topic, offsets] of Object.entries(saved)) {
          group.committed.set(topic, new Map(Object.entries(offsets).map(([p, o]) => [Number(p), o])));
        }
      }
    }
    return group;
  }

  private requireTopic(logicalName: string): StoredMessage[][] {
    const topic = this.findTopic(this.physicalName(logicalName));
    if (!topic) throw new Error(`topic ${this.physicalName(logicalName)} does not exist (create it with ensureTopics)`);
    return topic;
  }

  /** Topics are loaded from disk on first use (no directory scan), so each instance reads only its own prefix's topics. */
  private findTopic(physical: string): StoredMessage[][] | undefined {
    let topic = this.topics.get(physical);
    if (!topic && this.dir && LEGAL_TOPIC.test(physical) && existsSync(this.topicFile(physical, 'meta.json'))) {
      const { partitions } = JSON.parse(readFileSync(this.topicFile(physical, 'meta.json'), 'utf8')) as { partitions: number };
      topic = Array.from({ length: partitions }, (_, p) => loadPartition(this.topicFile(physical, `${p}.jsonl`)));
      this.topics.set(physical, topic);
    }
    return topic;
  }

  /** `meta.json` holds the partition count, `<partition>.jsonl` the messages. */
  private topicFile(physical: string, file: string): string {
    return join(this.dir!, 'topics', physical, file);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('message log is closed');
  }
}

const tpKey = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`;

/** Readers see the old or the new file, never half of one. */
function writeAtomically(file: string, content: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

function loadPartition(file: string): StoredMessage[] {
  if (!existsSync(file)) return [];
  const raw = readFileSync(file);
  // Bytes after the last newline are a write cut short by a crash: that send never resolved, so drop
  // them, and cut the file there so the next append starts on a fresh line.
  const end = raw.lastIndexOf(0x0a) + 1;
  if (end < raw.length) truncateSync(file, end);
  const lines = raw.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
  return lines.map((line) => {
    const m = JSON.parse(line) as Omit<StoredMessage, 'value'> & { value: string };
    return { key: m.key, value: Buffer.from(m.value, 'base64'), headers: m.headers, timestamp: m.timestamp };
  });
}
