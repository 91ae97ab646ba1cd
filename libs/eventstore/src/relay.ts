import { LogSequence } from '@streamfold/core';
import type { MessageLog } from '@streamfold/messaging';
import type { Registry } from 'prom-client';
import { isLagAware } from './event-store.capabilities';
import { EventStore, StoredEvent } from './event-store.port';
import { RelayLease, RelayLeases } from './relay-lease';
import { RelayMetrics, relayMetrics } from './relay-metrics';
import { groupByTopic, RelayRoute } from './relay-route';
import { backoff, sleep } from './sleep';
import { RELAYED_AT_HEADER, StageLatency, stageLatency } from './stage-latency';

/** Where the relay reports takeovers, retried sends and failures. */
export type RelayLogger = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

/** What a Relay publishes (store, route), where to (log), and how it elects and retries. */
export interface RelayOptions {
  /** Names the checkpoint and the lease: one active relay per name. @default 'default' */
  name?: string;
  store: EventStore;
  log: MessageLog;
  route: RelayRoute;
  /** Leadership and checkpoint: PostgresRelayLeases in production, InMemoryRelayLeases in tests. */
  leases: RelayLeases;
  /** Events read and published per round. @default 500 */
  batchSize?: number;
  /** Pause between reads once caught up (wake() cuts it short). @default 25 */
  pollIntervalMs?: number;
  /**
   * After a wake, the next round starts no sooner than this long after the previous round began,
   * as a producer's linger.ms: while appends come more often than that, several share a round,
   * and with it the produce request, the consumers' fetches, the read models' transactions and
   * the live pushes downstream. A wake after a quiet spell (the previous round began longer ago)
   * starts a round at once, and a full batch never waits, so this caps rounds per second under a
   * trickle of appends without delaying sparse ones or a backlog. 0: a wake starts a round at once. @default 0
   */
  lingerMs?: number;
  /**
   * Longest time between checkpoint saves while events keep coming: rounds in between leave it to
   * the next save (a caught-up relay, a waitUntilIdle() and stop() save at once). A crash re-sends
   * at most this much, which consumers drop by relay sequence. 0 saves after every round. @default 250
   */
  checkpointIntervalMs?: number;
  /** First pause after a failed send or read; doubles on each failure. @default 100 */
  initialBackoffMs?: number;
  /** Longest pause between retries. @default 5000 */
  maxBackoffMs?: number;
  /** Registers streamfold_relay_events_total, streamfold_relay_lag_events and the stored_to_relayed stage here. @default none */
  metrics?: Registry;
  /** Lag is recounted at most this often while behind. @default 1000 */
  lagIntervalMs?: number;
  /** @default warnings and errors to the console */
  logger?: RelayLogger;
}

/** standby: waiting for the lease; active: holds it and publishes; stopped: not started, or stop() ran. */
export type RelayState = 'stopped' | 'standby' | 'active';

const defaultLogger: RelayLogger = (level, message, extra) => {
  if (level !== 'info') console[level](`[relay] ${message}`, extra ?? '');
};

/**
 * Publishes the event store to the message log without a dual write: the store is the outbox.
 * Each round reads the gap-safe global log after the checkpoint, sends the batch (grouped per
 * topic, in relay order, in one request across topics), and only then advances the checkpoint. A crash between the send and
 * the checkpoint re-sends that tail on restart; every message carries the `sf-seq` header, so
 * consumers drop what they already applied. A failed send is retried with backoff and never
 * advances the checkpoint.
 */
export class Relay {
  readonly name: string;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly checkpointMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly lagIntervalMs: number;
  private readonly logger: RelayLogger;
  private readonly metrics: RelayMetrics | null;
  private readonly stages: StageLatency | null;
  private abort = new AbortController();
  private running: Promise<void> | null = null;
  private current: RelayState = 'stopped';
  private checkpoint: LogSequence | null = null;
  private reads = 0;
  private idleWaiters: Array<{ after: number; resolve: () => void }> = [];
  private wakeIdle: (() => void) | null = null;
  /** A wake() that came while a round ran: the next idle() returns at once. */
  private wakePending = false;
  private lastLagAt = 0;
  private readonly lingerMs: number;
  /** When the current (or last) round's read began. */
  private roundAt = 0;

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'default';
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollIntervalMs ?? 25;
    this.lingerMs = options.lingerMs ?? 0;
    this.checkpointMs = options.checkpointIntervalMs ?? 250;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.lagIntervalMs = options.lagIntervalMs ?? 1000;
    this.logger = options.logger ?? defaultLogger;
    this.metrics = options.metrics ? relayMetrics(options.metrics) : null;
    this.stages = options.metrics ? stageLatency(options.metrics) : null;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    if (!(this.lingerMs >= 0)) throw new RangeError(`lingerMs must be 0 or more, got ${this.lingerMs}`);
    if (!(this.checkpointMs >= 0)) throw new RangeError(`checkpointIntervalMs must be 0 or more, got ${this.checkpointMs}`);
  }

  get state(): RelayState {
    return this.current;
  }

  /** Starts in the background: waits as a standby while another instance holds the lease. */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run().finally(() => {
      this.current = 'stopped';
      this.running = null;
    });
  }

  /** Lets the in-flight batch finish (send and checkpoint), then releases the lease. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeIdle?.();
    await this.running;
  }

  /** Ends the idle pause now, e.g. right after an append in this process. */
  wake(): void {
    if (this.wakeIdle) this.wakeIdle();
    else this.wakePending = true;
  }

  /** Sequence of the last event this relay published and checkpointed (or loaded at takeover). */
  publishedUpTo(): LogSequence | null {
    return this.checkpoint;
  }

  /** Resolves once a read that started after this call saw everything left to publish, and that was published and checkpointed. */
  waitUntilIdle(timeoutMs = 30000): Promise<void> {
    const after = this.reads;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        reject(new Error(`relay ${this.name} not idle after ${timeoutMs} ms (state ${this.current})`));
      }, timeoutMs);
      const waiter = { after, resolve: () => (clearTimeout(timer), resolve()) };
      this.idleWaiters.push(waiter);
      this.wake();
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.current = 'standby';
      let lease: RelayLease | null = null;
      try {
        lease = await this.options.leases.acquire(this.name, signal);
        if (!lease) break;
        this.current = 'active';
        await this.lead(lease, signal, () => (failures = 0));
      } catch (error) {
        const delay = backoff(failures++, this.initialBackoffMs, this.maxBackoffMs);
        this.logger('error', `relay ${this.name} failed, resuming in ${delay} ms: ${(error as Error).message}`, { error });
        // Hand the lease over while we back off: a healthy standby may take over meanwhile.
        await lease?.release();
        await sleep(delay, signal);
      } finally {
        await lease?.release();
      }
    }
  }

  /**
   * Rounds of read, send, save. A batch's checkpoint is saved while the next batch is read and
   * sent (the lease's own connection): at most one save in flight, awaited before the next one,
   * before idling and before leaving, so a failed save stops the relay one batch later at most;
   * that batch is re-sent by the next leader and dropped by consumers as a re-send. While events
   * keep coming, saves are at least checkpointIntervalMs apart (the rounds in between are covered
   * by the next one); a caught-up read, a waiter of waitUntilIdle() and leaving save what is left.
   * Saves never move the stored checkpoint backwards.
   */
  private async lead(lease: RelayLease, signal: AbortSignal, succeeded: () => void): Promise<void> {
    this.checkpoint = await lease.load();
    let cursor = this.checkpoint;
    let saving: Promise<void> = Promise.resolve();
    let unsaved: LogSequence | null = null;
    let lastSaveAt = 0;
    const save = async () => {
      await saving;
      const sequence = unsaved!;
      unsaved = null;
      lastSaveAt = Date.now();
      saving = lease.save(sequence).then(() => {
        this.checkpoint = sequence;
      });
      saving.catch(() => undefined); // awaited at the next save, idle or exit
    };
    try {
      while (!signal.aborted && lease.held) {
        const read = ++this.reads;
        this.roundAt = Date.now();
        // Appends that woke us before this read are in it.
        this.wakePending = false;
        const batch = await this.options.store.readAll(cursor, this.batchSize);
        if (batch.length === 0) {
          if (unsaved) await save();
          await saving;
          succeeded();
          this.caughtUp(read);
          await this.idle(signal);
          continue;
        }
        if (signal.aborted) return;
        if (!(await this.publish(batch, lease, signal))) return;
        cursor = unsaved = batch[batch.length - 1].sequence;
        // Waiters registered before this read need its checkpoint saved before they are released.
        if (Date.now() - lastSaveAt >= this.checkpointMs || this.idleWaiters.some((w) => w.after < read)) await save();
        succeeded();
        this.metrics?.relayed.inc({ relay: this.name }, batch.length);
        const partial = batch.length < this.batchSize;
        await this.measureLag(partial);
        if (partial) {
          // The read saw everything committed: rather than a read that finds nothing, idle until
          // an append wakes us (one during this round already has) or the poll interval ends.
          void saving.then(() => this.caughtUp(read), () => undefined);
          await this.idle(signal);
        }
      }
    } finally {
      if (unsaved && lease.held) await save().catch(() => undefined);
      await saving;
    }
  }

  /**
   * Sends one batch: one request across topics when the log offers sendBatch (retried whole), else
   * topic by topic in first-seen order. Each message is stamped with the moment it was sent
   * (RELAYED_AT_HEADER) so consumers can time relayed → delivered. False when it gave up (stop, lost lease).
   */
  private async publish(batch: StoredEvent[], lease: RelayLease, signal: AbortSignal): Promise<boolean> {
    const log = this.options.log;
    const pending = [...groupByTopic(batch, this.options.route).entries()].map(([topic, messages]) => ({ topic, messages }));
    let attempt = 0;
    while (pending.length > 0) {
      const round = log.sendBatch ? pending : pending.slice(0, 1);
      const relayedAt = String(Date.now());
      for (const { messages } of round) for (const m of messages) m.headers = { ...m.headers, [RELAYED_AT_HEADER]: relayedAt };
      try {
        if (log.sendBatch) await log.sendBatch(round);
        else await log.send(round[0].topic, round[0].messages);
        pending.splice(0, round.length);
        attempt = 0;
      } catch (error) {
        const delay = backoff(attempt++, this.initialBackoffMs, this.maxBackoffMs);
        const topics = round.map((r) => r.topic).join(', ');
        this.logger('warn', `relay ${this.name}: send to ${topics} failed (attempt ${attempt}), retrying in ${delay} ms: ${(error as Error).message}`);
        await sleep(delay, signal);
        if (signal.aborted || !lease.held) return false;
      }
    }
    if (this.stages) {
      const now = Date.now();
      for (const e of batch) {
        const to = this.options.route(e);
        if (to) this.stages.since('stored_to_relayed', Date.parse(e.recordedAt), now, { topic: to.topic });
      }
    }
    return true;
  }

  private caughtUp(read: number): void {
    this.metrics?.lag.set({ relay: this.name }, 0);
    const ready = this.idleWaiters.filter((w) => w.after < read);
    this.idleWaiters = this.idleWaiters.filter((w) => w.after >= read);
    for (const w of ready) w.resolve();
  }

  /** Until a wake, the poll interval or stop; after a wake, no sooner than lingerMs after the last round began. */
  private async idle(signal: AbortSignal): Promise<void> {
    await this.pause(signal);
    const linger = this.roundAt + this.lingerMs - Date.now();
    if (linger > 0 && !signal.aborted) await sleep(linger, signal);
  }

  private pause(signal: AbortSignal): Promise<void> {
    if (this.wakePending || signal.aborted) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeIdle = null;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeIdle = done;
    });
  }

  private async measureLag(caughtUp: boolean): Promise<void> {
    if (!this.metrics) return;
    if (caughtUp) return this.metrics.lag.set({ relay: this.name }, 0);
    const store = this.options.store;
    if (!isLagAware(store) || Date.now() - this.lastLagAt < this.lagIntervalMs) return;
    this.lastLagAt = Date.now();
    this.metrics.lag.set({ relay: this.name }, await store.countAfter(this.checkpoint));
  }
}
