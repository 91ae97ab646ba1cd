/**
 * kafkajs 2.2.4 spends most of a consumer's work on partitions that a fetch found empty. It has no
 * incremental fetch sessions, so every fetch names, and gets back, every assigned partition: the
 * `post_counts` projection reads `posts`, `likes` and `comments`, 70 partitions, and at 200
 * likes/s it fetched about 120 times a second, each time to find one or two partitions with a like.
 * For each of the 70 kafkajs decoded the partition, built a Batch, queued it for a worker behind a
 * promise, called heartbeat and settled it, only to find it empty; it also split the partitions
 * by node by copying its result once per partition (quadratic). Sampled in the bench's projections
 * process at 200 likes/s: 91 MB/s allocated, 84 % of it kafkajs; scavenges every 0.5 s of 7–20 ms,
 * each holding every like in flight; and the broker spent 0.3–0.5 of a core answering.
 *
 * Three replacements, each for the exact 2.2.4 code path (any other kafkajs is left as it is):
 *  - Fetch sessions (KIP-227), as the Java consumer uses them: after a full fetch that opens the
 *    session, a fetch names only partitions whose position moved (and those added or removed),
 *    and the broker answers only partitions with records or news. Any failed or refused request
 *    makes the next fetch a full one again, so the broker's copy of the positions is never guessed.
 *  - A fetch hands over only partitions that returned records; the runner did nothing else with an
 *    empty one than heartbeat, and it still heartbeats when a fetch hands over nothing. Batches
 *    whose records were all filtered out (control records, aborted or compacted ones) are kept:
 *    the runner moves their offset.
 *  - Partitions are split by node in one pass when the topic has no preferred read replica (the
 *    leader serves it); with preferred replicas, or metadata the original refuses, it runs.
 * Measured the same way after them: 40 MB/s allocated, scavenges every 1.2 s, the broker's CPU
 * halved. `test/runtime/kafka-fetch-session.e2e.spec.ts` (real broker) and the unit spec check them.
 */

interface Batch {
  rawMessages: unknown[];
}

interface PartitionMetadata {
  partitionId: number;
  leader: number | null;
}

interface ConsumerGroupInternals {
  cluster: { findTopicPartitionMetadata(topic: string): PartitionMetadata[] };
  preferredReadReplicasPerTopicPartition: Record<string, Record<number, unknown> | undefined>;
  fetch(nodeId: number): Promise<Batch[]>;
  findReadReplicaForPartitions(topic: string, partitions: Array<number | string>): Record<number, number[]>;
}

type FetchPathFix = 'fixed' | 'not-needed';

let installed: FetchPathFix | null = null;

/** Installs both replacements over kafkajs 2.2.4 (once); any other version is left as it is. */
export function fixKafkajsFetchPath(): FetchPathFix {
  if (installed) return installed;
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return (installed = 'not-needed');
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as { prototype: ConsumerGroupInternals };
  const fetch = ConsumerGroup.prototype.fetch;
  const byNode = ConsumerGroup.prototype.findReadReplicaForPartitions;
  ConsumerGroup.prototype.fetch = async function (this: ConsumerGroupInternals, nodeId: number): Promise<Batch[]> {
    const batches = await fetch.call(this, nodeId);
    return batches.filter((b) => b.rawMessages.length > 0);
  };
  ConsumerGroup.prototype.findReadReplicaForPartitions = function (this: ConsumerGroupInternals, topic: string, partitions: Array<number | string>) {
    const preferred = this.preferredReadReplicasPerTopicPartition[topic];
    if (preferred && Object.keys(preferred).length > 0) return byNode.call(this, topic, partitions);
    const metadata = new Map(this.cluster.findTopicPartitionMetadata(topic).map((m) => [m.partitionId, m]));
    const result: Record<number, number[]> = {};
    for (const id of partitions) {
      const partitionId = typeof id === 'number' ? id : parseInt(id, 10);
      const m = metadata.get(partitionId);
      if (!m) continue;
      // Invalid metadata: the original throws a KafkaJSError naming the partition.
      if (m.leader == null) return byNode.call(this, topic, partitions);
      (result[m.leader] ??= []).push(partitionId);
    }
    return result;
  };
  installFetchSessions();
  return (installed = 'fixed');
}

/** One partition of a fetch request as kafkajs' consumer group builds it. */
interface FetchPartition {
  partition: number;
  fetchOffset: string;
  maxBytes: number;
}

interface FetchArgs {
  replicaId?: number;
  isolationLevel?: number;
  maxWaitTime?: number;
  minBytes?: number;
  maxBytes?: number;
  topics: Array<{ topic: string; partitions: FetchPartition[] }>;
  rackId?: string;
}

interface FetchResponse {
  errorCode?: number;
  sessionId?: number;
  responses: unknown[];
}

interface BrokerInternals {
  versions: Record<number, { maxVersion?: number } | undefined> | null;
  lookupRequest(apiKey: number, definition: unknown): (options: object) => unknown;
  fetch(args: FetchArgs): Promise<FetchResponse>;
}

/**
 * A broker connection's incremental fetch session (KIP-227): what the broker holds for it, so a
 * request names only the partitions whose position moved, and the answer only those with news.
 * `epoch` 0 asks for a full fetch that opens a new session (closing the one named by `id`).
 */
interface FetchSession {
  id: number;
  epoch: number;
  /** Each partition's position as last sent: the broker's copy, valid only while the session is. */
  sent: Positions;
  busy: boolean;
}

/** Fetch positions by topic and partition. */
type Positions = Map<string, Map<number, FetchPartition>>;

/** Fetch v7 added sessions; kafkajs implements up to v11. */
const FIRST_SESSION_VERSION = 7;
const FETCH_API_KEY = 1;
const sessions = new WeakMap<object, FetchSession>();

/**
 * Without sessions, each fetch names every assigned partition and gets each one back, data or not:
 * for a projection of 70 partitions at 200 likes/s, about 70 × 120 partition entries a second
 * encoded, decoded and looked up by the broker, to deliver about 190 that carry a like. A session
 * sends and returns only what changed, as the Java consumer does. Any failed or refused request
 * (a broker restart forgets its sessions: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH)
 * makes the next fetch a full one again, so the broker's copy of the positions is never guessed.
 */
function installFetchSessions(): void {
  const Broker = require('kafkajs/src/broker') as { prototype: BrokerInternals & Record<symbol, (request: unknown) => Promise<FetchResponse>> };
  const { requests } = require('kafkajs/src/protocol/requests') as { requests: { Fetch: { versions: string[] } } };
  const send = Object.getOwnPropertySymbols(Broker.prototype).find((s) => s.description === 'private:Broker:sendRequest');
  if (!send) return;
  const fullFetch = Broker.prototype.fetch;
  const bestVersion = Math.max(...requests.Fetch.versions.map(Number));
  Broker.prototype.fetch = async function (this: BrokerInternals & Record<symbol, (request: unknown) => Promise<FetchResponse>>, args: FetchArgs): Promise<FetchResponse> {
    const version = Math.min(bestVersion, this.versions?.[FETCH_API_KEY]?.maxVersion ?? 0);
    let session = sessions.get(this);
    if (!session) sessions.set(this, (session = { id: 0, epoch: 0, sent: new Map(), busy: false }));
    // Sessions order requests: a fetch overlapping another on this connection goes without one.
    if (version < FIRST_SESSION_VERSION || session.busy) return fullFetch.call(this, args);
    session.busy = true;
    try {
      const wanted: Positions = new Map();
      const changed: Array<{ topic: string; partitions: FetchPartition[] }> = [];
      const full = session.epoch === 0;
      for (const { topic, partitions } of args.topics) {
        const positions = new Map<number, FetchPartition>();
        const before = full ? undefined : session.sent.get(topic);
        const moved: FetchPartition[] = [];
        for (const p of partitions) {
          positions.set(p.partition, p);
          const last = before?.get(p.partition);
          if (!last || last.fetchOffset !== p.fetchOffset || last.maxBytes !== p.maxBytes) moved.push(p);
        }
        wanted.set(topic, positions);
        if (moved.length > 0) changed.push({ topic, partitions: moved });
      }
      const forgotten: Array<{ topic: string; partitions: number[] }> = [];
      if (!full) {
        for (const [topic, before] of session.sent) {
          const now = wanted.get(topic);
          const gone = [...before.keys()].filter((partition) => !now?.has(partition));
          if (gone.length > 0) forgotten.push({ topic, partitions: gone });
        }
      }
      const request = this.lookupRequest(FETCH_API_KEY, requests.Fetch)({
        ...args,
        maxWaitTime: args.maxWaitTime ?? 5000,
        minBytes: args.minBytes ?? 1,
        maxBytes: args.maxBytes ?? 10485760,
        topics: changed,
        sessionId: session.id,
        sessionEpoch: session.epoch,
        forgottenTopics: forgotten,
      });
      // What this request asks of its session, for whoever watches the requests (the e2e test).
      Object.defineProperty(request, 'fetchSession', { value: { id: session.id, epoch: session.epoch, partitions: changed.reduce((n, t) => n + t.partitions.length, 0) } });
      let response: FetchResponse;
      try {
        response = await this[send](request);
      } catch (error) {
        session.epoch = 0;
        throw error;
      }
      if (response.errorCode || !response.sessionId) {
        // Refused, or no session opened: the next fetch is full again (and closes this id, if any).
        session.epoch = 0;
      } else {
        session.id = response.sessionId;
        session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
        session.sent = wanted;
      }
      return response;
    } finally {
      session.busy = false;
    }
  };
}
