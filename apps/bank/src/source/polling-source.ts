import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { Database, STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import { BankTopic } from '../bank.topics';
import { CoreTransactionRow } from '../processors/debezium-envelope';
import { coreSchemaSql } from './core-schema';

/** Schema of the embedded database that stands in for the core banking database. */
export const EMBEDDED_CORE_SCHEMA = 'corebank';
/**
 * File under DATA_DIR holding the embedded database's URL (its port is chosen at start), so
 * `psql` and `cli simulate bank` can INSERT into `corebank.transactions` like a core application.
 */
export const EMBEDDED_CORE_URL_FILE = 'corebank-embedded.url';

/**
 * Which change data capture feeds `corebank.public.transactions`:
 *   - 'debezium' (default with Kafka): Kafka Connect + Debezium (scripts/connect.sh,
 *     `cli mybank connector setup`); nothing runs in this process.
 *   - 'polling' (default on the embedded log, no Java): EmbeddedTransactionsPollingSource.
 */
export function cdcSourceOf(config: StreamfoldConfig, env = process.env): 'debezium' | 'polling' {
  const chosen = env.BANK_CDC_SOURCE ?? (config.kafkaBrokers === null ? 'polling' : 'debezium');
  if (chosen !== 'debezium' && chosen !== 'polling') throw new Error(`BANK_CDC_SOURCE must be debezium or polling, got "${chosen}"`);
  return chosen;
}

const BATCH = 500;

/**
 * The embedded default's stand-in for Debezium: polls the embedded database's
 * `corebank.transactions` table by increasing id and produces Debezium-shaped change events
 * (op "c", source.connector "streamfold-polling") to the same raw topic, so the same CDC
 * processor reads them. At least once: it produces, then stores its position; a crash in between
 * re-sends rows the processor drops by primary key.
 * What it is not: a WAL reader. Ids are read in order, which is gap-free only when inserts commit
 * in id order: true on embedded PGlite (one transaction at a time), not on a busy server, where
 * Debezium is the source. Its event time is the row's created_at, not the commit time, and it
 * sees no updates or deletes.
 */
@Injectable()
export class EmbeddedTransactionsPollingSource implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('PollingSource');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly intervalMs = Number(process.env.BANK_POLL_INTERVAL_MS ?? 100);

  constructor(
    private readonly db: Database,
    @Inject(MESSAGE_LOG) private readonly messages: MessageLog,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (cdcSourceOf(this.config) !== 'polling' || !this.config.workers) return;
    // The embedded database plays the core database: give it the core schema, in its own schema.
    await this.db.transaction(async (sql) => {
      await sql.query(`CREATE SCHEMA IF NOT EXISTS ${EMBEDDED_CORE_SCHEMA}`);
      await sql.query(`SET LOCAL search_path TO ${EMBEDDED_CORE_SCHEMA}`);
      await sql.query(coreSchemaSql());
    });
    await this.db.query(`CREATE TABLE IF NOT EXISTS bank_polling_source (source text PRIMARY KEY, last_id bigint NOT NULL)`);
    if (this.db.embedded) writeFileSync(join(this.config.dataDir, EMBEDDED_CORE_URL_FILE), this.db.url);
    this.log.log(`polling ${EMBEDDED_CORE_SCHEMA}.transactions every ${this.intervalMs} ms into ${BankTopic.coreTransactionsCdc} (embedded default; Debezium with Kafka)`);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce()
        .then(() => this.schedule())
        .catch((error) => {
          this.log.warn(`poll failed (retrying): ${(error as Error).message}`);
          this.schedule();
        });
    }, this.intervalMs);
  }

  /** One round: reads the next rows, produces them, then moves the position. Returns rows read. */
  async pollOnce(): Promise<number> {
    const { rows: pos } = await this.db.query(`SELECT last_id FROM bank_polling_source WHERE source = $1`, [EMBEDDED_CORE_SCHEMA]);
    const lastId = pos[0]?.last_id ?? '0';
    const { rows } = await this.db.query<CoreTransactionRow>(
      `SELECT id::text AS id, account_id::text AS account_id, user_id, amount::text AS amount, currency, status, created_at
       FROM ${EMBEDDED_CORE_SCHEMA}.transactions WHERE id > $1 ORDER BY id LIMIT ${BATCH}`,
      [lastId],
    );
    if (rows.length === 0) return 0;
    await this.messages.send(
      BankTopic.coreTransactionsCdc,
      rows.map((row) => {
        const createdMs = new Date(row.created_at).getTime();
        const after = { ...row, id: Number(row.id), account_id: Number(row.account_id), created_at: new Date(createdMs).toISOString() };
        const value = { before: null, after, source: { connector: 'streamfold-polling', ts_ms: createdMs, lsn: null, txId: null, table: 'transactions' }, op: 'c', ts_ms: Date.now() };
        return { key: JSON.stringify({ id: after.id }), value: JSON.stringify(value), timestamp: createdMs };
      }),
    );
    await this.db.query(
      `INSERT INTO bank_polling_source (source, last_id) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET last_id = EXCLUDED.last_id`,
      [EMBEDDED_CORE_SCHEMA, rows[rows.length - 1].id],
    );
    return rows.length;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
