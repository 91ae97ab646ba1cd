import { LogSequence } from '@streamfold/core';
import type { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { RelayLease, RelayLeases } from './relay-lease';
import { sleep } from './sleep';

/** First key of the two-int advisory lock: keeps relay locks apart from any other advisory lock user. */
const RELAY_LOCK_CLASS = 0x53465231; // "SFR1"

/** Tuning of PostgresRelayLeases: how eagerly a standby and a broken lock connection retry. */
export interface PostgresRelayLeasesOptions {
  /** How often a standby retries the lock. @default 250 */
  standbyPollMs?: number;
  /** Pause after the lock connection failed before reconnecting. @default 1000 */
  reconnectDelayMs?: number;
}

/**
 * One active relay per name across processes: a session-level advisory lock held on a dedicated
 * connection (not the pool, whose connections come and go). When the holder dies, PostgreSQL
 * ends its session and releases the lock, and a standby polling pg_try_advisory_lock takes over.
 * The checkpoint is written on that same connection, so a holder whose session is gone cannot
 * write it any more (the lock and the right to checkpoint end together).
 */
export class PostgresRelayLeases implements RelayLeases {
  private readonly url: string;
  private readonly standbyPollMs: number;
  private readonly reconnectDelayMs: number;

  constructor(db: Pick<Database, 'url'> | string, options: PostgresRelayLeasesOptions = {}) {
    this.url = typeof db === 'string' ? db : db.url;
    this.standbyPollMs = options.standbyPollMs ?? 250;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  }

  async acquire(name: string, signal: AbortSignal): Promise<RelayLease | null> {
    while (!signal.aborted) {
      const client = new Client({ connectionString: this.url, application_name: `streamfold-relay:${name}`.slice(0, 63), keepAlive: true });
      let lost = false;
      client.on('error', () => (lost = true));
      client.on('end', () => (lost = true));
      try {
        await client.connect();
        while (!signal.aborted && !lost) {
          // Polling the non-blocking variant keeps stop() prompt; pg_advisory_lock would block the session.
          const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok`, [RELAY_LOCK_CLASS, name]);
          if (rows[0].ok) {
            // The checkpoint is a resume hint: a save lost in a database crash (at most a few
            // hundred ms of them) only makes the relay send those events again, which consumers
            // drop by their relay sequence (invariant 4). Without the WAL flush per save, a round
            // costs no fsync; at 200 likes/s that was one fsync per like.
            await client.query('SET synchronous_commit = off');
            return new PostgresRelayLease(client, name, () => lost);
          }
          await sleep(this.standbyPollMs, signal);
        }
      } catch {
        // Database unreachable or the session died: reconnect after a pause.
      }
      await client.end().catch(() => undefined);
      if (!signal.aborted) await sleep(this.reconnectDelayMs, signal);
    }
    return null;
  }
}

class PostgresRelayLease implements RelayLease {
  private released = false;

  constructor(
    private readonly client: Client,
    private readonly name: string,
    private readonly lost: () => boolean,
  ) {}

  get held(): boolean {
    return !this.released && !this.lost();
  }

  async load(): Promise<LogSequence | null> {
    const { rows } = await this.client.query<{ tx_id: string; position: string }>(
      `SELECT tx_id::text AS tx_id, position::text AS position FROM sf_relay_checkpoints WHERE name = $1`,
      [this.name],
    );
    return rows.length ? { txId: rows[0].tx_id, position: rows[0].position } : null;
  }

  async save(sequence: LogSequence): Promise<void> {
    if (!this.held) throw new Error(`relay ${this.name} no longer holds its lease`);
    // Never moves backwards, whatever a confused caller passes.
    await this.client.query(
      `INSERT INTO sf_relay_checkpoints AS c (name, tx_id, position) VALUES ($1, $2::xid8, $3::bigint)
       ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position, updated_at = now()
       WHERE (c.tx_id, c.position) < (excluded.tx_id, excluded.position)`,
      [this.name, sequence.txId, sequence.position],
    );
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Ending the session releases its advisory locks.
    await this.client.end().catch(() => undefined);
  }
}
