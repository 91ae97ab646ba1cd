import { Kafka, logLevel, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { Fault } from './faults';
import { sleep } from './util';

const PARTITIONS = 3;
const INTERVAL_MS = 100;

/** Longest gap between consecutive times of a sorted series that overlaps [from, to]. */
function longestGap(times: number[], from: number, to: number): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] < from || times[i - 1] > to) continue;
    longest = Math.max(longest, times[i] - times[i - 1]);
  }
  return longest;
}

export interface Pause {
  /** Longest gap between acks (acks=all) of the probe producer on one partition. */
  kafkaMs: number;
  /** Longest time the relay's checkpoint did not advance (under load: no batch published). */
  relayMs: number;
  /** Commands acknowledged (2xx) to clients in the window: the event store takes writes with Kafka degraded. */
  accepted: number;
}

/**
 * Measures how long writes stall while a broker of three is down and its partitions elect new
 * leaders: a probe producer (idempotent, acks=all) writes to every partition of a topic with
 * replication factor 3 and min.insync.replicas 2 every 100 ms, and the relay's checkpoint and
 * the count of acknowledged commands are sampled as often.
 */
export class WritePauseMeter {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private readonly acks: number[][] = Array.from({ length: PARTITIONS }, () => []);
  private readonly relayAdvances: number[] = [];
  private readonly accepted: Array<[number, number]> = [];
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(brokers: string, private readonly topic: string, private readonly db: Pool, private readonly acceptedNow: () => number) {
    this.kafka = new Kafka({
      clientId: 'streamfold-chaos-probe', brokers: brokers.split(','), logLevel: logLevel.NOTHING,
      connectionTimeout: 1000, requestTimeout: 5000, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: this.topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      });
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.loops = [...Array(PARTITIONS).keys()].map((p) => this.produce(p));
    this.loops.push(this.sample());
  }

  /** One probe write at a time per partition; a failed one is retried by the next round. */
  private async produce(partition: number): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.producer!.send({ topic: this.topic, acks: -1, messages: [{ partition, value: String(Date.now()) }] });
        this.acks[partition].push(Date.now());
      } catch {
        // leader gone or not enough in-sync replicas: the gap grows until a write is acknowledged
      }
      await sleep(INTERVAL_MS, this.stopping.signal);
    }
  }

  private async sample(): Promise<void> {
    let last = '';
    while (!this.stopping.signal.aborted) {
      this.accepted.push([Date.now(), this.acceptedNow()]);
      const r = await this.db.query(`SELECT tx_id::text || ':' || position::text AS at FROM sf_relay_checkpoints WHERE name = 'default'`).catch(() => null);
      const at = r?.rows[0]?.at ?? last;
      if (at !== last) this.relayAdvances.push(Date.now());
      last = at;
      await sleep(INTERVAL_MS, this.stopping.signal);
    }
  }

  /** Pauses within [from, to]: a node's kill until a little after it is back. */
  pause(from: number, to: number): Pause {
    const count = (t: number) => [...this.accepted].reverse().find(([at]) => at <= t)?.[1] ?? 0;
    return {
      kafkaMs: Math.max(...this.acks.map((times) => longestGap(times, from, to))),
      relayMs: longestGap(this.relayAdvances, from, to),
      accepted: count(to) - count(from),
    };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/**
 * The report of a three-broker run: per broker kill, the pauses from the kill until 5 s after the
 * node was back (its partitions' leadership moves twice: away at the kill, back at preferred-leader
 * rebalancing), and the longest of them, which the run prints.
 */
export function leaderElections(faults: Fault[], meter: WritePauseMeter): { lines: string[]; acceptedDuring: number } {
  const kills = faults.filter((f) => f.kind === 'broker-kill' && f.at !== undefined && f.actionDoneAt !== undefined);
  const measured = kills.map((f) => ({ f, p: meter.pause(f.at!, f.actionDoneAt! + 5000) }));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = measured.map(({ f, p }) =>
    `broker kill #${f.n} (${f.target}): longest Kafka write pause ${s(p.kafkaMs)} (probe, acks=all), relay publish pause ${s(p.relayMs)}, ${p.accepted} commands accepted meanwhile`);
  const longest = (pick: (p: Pause) => number) => Math.max(0, ...measured.map(({ p }) => pick(p)));
  lines.push(`leader elections: ${kills.length} broker kills; longest write pause ${s(longest((p) => p.kafkaMs))} (probe producer, acks=all, min ISR 2); ` +
    `longest relay publish pause ${s(longest((p) => p.relayMs))}; commands accepted while a broker was down: ${measured.reduce((n, { p }) => n + p.accepted, 0)}`);
  return { lines, acceptedDuring: measured.reduce((n, { p }) => n + p.accepted, 0) };
}
