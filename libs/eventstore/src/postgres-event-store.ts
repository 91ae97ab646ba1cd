import { ConcurrencyConflict, DomainEvent, EventEnvelope, EventRegistry, LogSequence } from '@streamfold/core';
import type { Database, Sql } from '@streamfold/runtime';
import { assertSameInput } from './command-fingerprint';
import { checkExpectedVersion, describeExpected, expectedHolds, PreparedEvent, prepareEvents, resolveMetadata, ResolvedMetadata } from './append-preparation';
import { CommandLookup, LagAware, StoredCommandResult } from './event-store.capabilities';
import { AppendOptions, AppendResult, EventStore, ExpectedVersion, ManyStreamAppender, StoredEvent, StreamAppend } from './event-store.port';
import { GroupBatcher, GroupResult } from './group-batcher';
import { DATABASE_HORIZON, EVENT_COLUMNS, EventRow, FINISHED_TRANSACTIONS, HORIZON_CALL, rowToEnvelope, rowToStoredEvent } from './postgres-rows';
import { readAllFrom, ReadAllFromOptions } from './read-all-from';
import { StreamOrderConflict } from './stream-order-conflict';

/**
 * The relay publishes in (tx_id, position) order, so a stream's next events must come from a
 * transaction whose id is not below its last writer's; otherwise (ids are taken before row locks)
 * a later position could reach Kafka first. Such an append is refused and retried in a new
 * transaction, whose id is higher (see StreamOrderConflict).
 */
const WRITER_IN_ORDER = (table: string) => `(${table}.last_tx IS NULL OR ${table}.last_tx <= pg_current_xact_id())`;

const DIGITS = /^\d+$/;
const READ_STREAM = `SELECT ${EVENT_COLUMNS} FROM sf_events WHERE stream_id = $1 ORDER BY sf_events.stream_position`;
const READ_STREAMS = `SELECT ${EVENT_COLUMNS} FROM sf_events WHERE stream_id = ANY($1::text[]) ORDER BY sf_events.stream_id, sf_events.stream_position`;

/**
 * Every append with an expected version, alone or grouped (group commit: the appends of
 * concurrent commands, each to its own stream, in one statement and one round trip). Per stream,
 * the stream row is bumped only when its version check and writer order hold: streams that may
 * be created (expected 'any' or no stream) are upserted in stream-id order, exact versions above
 * 0 update an existing row. A stream whose check fails yields no row, so none of its events are
 * inserted; the others are. Events are inserted in input order (global positions follow stream
 * positions), each stream's positions following its new version. Arrays carry everything: one
 * round trip, no 65,535-parameter limit.
 */
const APPEND_STREAMS = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS i(stream_id, n, expected)
  ),
  created AS (
    INSERT INTO sf_streams AS s (stream_id, version, last_tx)
    SELECT stream_id, n, pg_current_xact_id() FROM input WHERE expected IS NULL OR expected = 0 ORDER BY stream_id
    ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, updated_at = now(), last_tx = pg_current_xact_id()
      WHERE (SELECT i.expected IS NULL FROM input i WHERE i.stream_id = s.stream_id) AND ${WRITER_IN_ORDER('s')}
    RETURNING stream_id, version
  ),
  updated AS (
    UPDATE sf_streams s SET version = s.version + i.n, updated_at = now(), last_tx = pg_current_xact_id()
    FROM input i
    WHERE i.expected > 0 AND s.stream_id = i.stream_id AND s.version = i.expected AND ${WRITER_IN_ORDER('s')}
    RETURNING s.stream_id, s.version
  ),
  stream AS (SELECT * FROM created UNION ALL SELECT * FROM updated)
  INSERT INTO sf_events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
  SELECT e.event_id, e.stream_id, stream.version - input.n + e.pos, e.type, e.schema_version, e.data::jsonb, e.metadata::jsonb, e.occurred_at
  FROM unnest($4::text[], $5::uuid[], $6::text[], $7::int[], $8::text[], $9::text[], $10::timestamptz[], $11::int[])
    WITH ORDINALITY AS e(stream_id, event_id, type, schema_version, data, metadata, occurred_at, pos, ord)
  JOIN stream USING (stream_id) JOIN input USING (stream_id)
  ORDER BY e.ord
  RETURNING ${EVENT_COLUMNS}`;

/** One stream's append as APPEND_STREAMS takes it (alone, or waiting for its group). */
interface GroupedAppend {
  streamId: string;
  prepared: PreparedEvent[];
  metadata: ResolvedMetadata;
  expected: ExpectedVersion;
}

/**
 * Many streams in one statement (expectedVersion 'any' each): one bump per stream, in stream-id
 * order (the lock order of concurrent batches), then the events in input order, each stream's
 * positions following its new version. A stream whose last writer is a newer transaction is
 * refused by WRITER_IN_ORDER and yields no row, so fewer rows come back than were given.
 */
const APPEND_MANY = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[])
      WITH ORDINALITY AS e(stream_id, event_id, type, schema_version, data, metadata, occurred_at, ord)
  ),
  counts AS (SELECT stream_id, count(*)::bigint AS n FROM input GROUP BY stream_id),
  stream AS (
    INSERT INTO sf_streams AS s (stream_id, version, last_tx)
    SELECT stream_id, n, pg_current_xact_id() FROM counts ORDER BY stream_id
    ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, updated_at = now(), last_tx = pg_current_xact_id()
      WHERE ${WRITER_IN_ORDER('s')}
    RETURNING stream_id, version
  )
  INSERT INTO sf_events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
  SELECT e.event_id, e.stream_id, stream.version - counts.n + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.ord),
         e.type, e.schema_version, e.data::jsonb, e.metadata::jsonb, e.occurred_at
  FROM input e JOIN counts USING (stream_id) JOIN stream USING (stream_id)
  ORDER BY e.ord
  RETURNING stream_id`;

/**
 * The event store on PostgreSQL (the system of record). Appends are one transaction — or a
 * savepoint inside the caller's — with optimistic concurrency on sf_streams, command-id
 * idempotency on sf_commands' primary key, and a gap-safe global log ordered by
 * (tx_id, global_position).
 */
export class PostgresEventStore implements EventStore, ManyStreamAppender, CommandLookup, LagAware {
  /**
   * Named statements are prepared once per connection instead of planned on every call. Off on
   * embedded PGlite: its connections share one session, where a second PREPARE of a name fails.
   */
  private readonly preparedStatements: boolean;
  /** Concurrent readStream calls (commands of concurrent requests) share one query. */
  private readonly streamReads: GroupBatcher<string, EventRow[]>;
  /** Concurrent single-statement appends (no command id, no caller transaction) share one. */
  private readonly groupAppends: GroupBatcher<GroupedAppend, { nextVersion: number; envelopes: EventEnvelope[] }>;

  constructor(
    private readonly db: Database,
    private readonly registry?: EventRegistry,
    private readonly clock: () => Date = () => new Date(),
    options: { preparedStatements?: boolean } = {},
  ) {
    this.preparedStatements = options.preparedStatements ?? !db.embedded;
    this.streamReads = new GroupBatcher((ids) => this.readStreams(ids), { maxInFlight: 2 });
    // Two groups at a time, never sharing a stream (exclusiveKey also keeps a stream out of a group
    // while another group writing it runs), so they lock disjoint sf_streams rows and cannot
    // deadlock each other: one group's statement runs while the other commits.
    this.groupAppends = new GroupBatcher((group) => this.appendGroup(group), { maxInFlight: 2, exclusiveKey: (a) => a.streamId });
  }

  async append(streamId: string, events: DomainEvent[], options: AppendOptions): Promise<AppendResult> {
    if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
    checkExpectedVersion(options.expectedVersion);
    const prepared = prepareEvents(events, this.registry);
    const metadata = resolveMetadata(options.metadata, this.clock);
    const run = (sql: Sql) => this.appendIn(sql, streamId, prepared, metadata, options);
    if (!options.sql) {
      // Without a command id the append is a single statement, atomic on its own: skip the
      // BEGIN/COMMIT round trips, and share the statement with concurrent appends (group commit).
      const grouped = options.commandId === undefined && prepared.length > 0;
      const own = grouped
        ? async (): Promise<AppendResult> => {
            const { nextVersion, envelopes } = await this.groupAppends.submit({ streamId, prepared, metadata, expected: options.expectedVersion });
            return { streamId, nextVersion, envelopes, duplicate: false, commandResult: options.commandResult };
          }
        : () => this.db.transaction(run);
      for (let attempt = 1; ; attempt++) {
        try {
          return await own();
        } catch (error) {
          // A fresh transaction gets a higher id than the stream's last writer: retry at once.
          if (!(error instanceof StreamOrderConflict) || attempt >= 5) throw error;
        }
      }
    }
    // A savepoint keeps "nothing written on conflict" true even when the caller catches the error
    // and commits the rest of its transaction.
    const sql = options.sql;
    if (options.savepoint === false) return run(sql);
    await sql.query('SAVEPOINT sf_append');
    try {
      const result = await run(sql);
      await sql.query('RELEASE SAVEPOINT sf_append');
      return result;
    } catch (error) {
      await sql.query('ROLLBACK TO SAVEPOINT sf_append').catch(() => undefined);
      throw error;
    }
  }

  /**
   * ManyStreamAppender: a processor's whole output in one round trip inside its batch
   * transaction. Payloads are validated first; then one statement writes every stream, so a
   * batch's output costs one round trip instead of one (or three, with savepoints) per stream.
   */
  async appendMany(appends: readonly StreamAppend[], options: { sql: Sql }): Promise<void> {
    const rows: Array<{ streamId: string; event: PreparedEvent; metadata: ResolvedMetadata }> = [];
    for (const a of appends) {
      if (typeof a.streamId !== 'string' || a.streamId === '') throw new TypeError('streamId must be a non-empty string');
      const metadata = resolveMetadata(a.metadata, this.clock);
      for (const event of prepareEvents(a.events, this.registry)) rows.push({ streamId: a.streamId, event, metadata });
    }
    if (rows.length === 0) return;
    const result = await options.sql.query<{ stream_id: string }>({ name: this.statementName('sf_append_many'), text: APPEND_MANY, values: [
      rows.map((r) => r.streamId),
      rows.map((r) => r.event.eventId),
      rows.map((r) => r.event.type),
      rows.map((r) => r.event.schemaVersion),
      rows.map((r) => r.event.json),
      rows.map((r) => JSON.stringify({ correlationId: r.metadata.correlationId, causationId: r.metadata.causationId, actor: r.metadata.actor })),
      rows.map((r) => r.metadata.occurredAt),
    ] });
    if (result.rows.length !== rows.length) {
      const written = new Set(result.rows.map((r) => r.stream_id));
      throw new StreamOrderConflict(rows.find((r) => !written.has(r.streamId))!.streamId);
    }
  }

  /**
   * A group of appends in one APPEND_STREAMS statement. A member that wrote nothing gets its own
   * ConcurrencyConflict or StreamOrderConflict; when the statement itself fails (a deadlock with
   * another process, a constraint), each member runs alone, so one member's error is its own.
   */
  private async appendGroup(group: GroupedAppend[]): Promise<Array<GroupResult<{ nextVersion: number; envelopes: EventEnvelope[] }>>> {
    const alone = (a: GroupedAppend) => this.insert(this.db.pool, a).then((value) => ({ value }), (error: unknown) => ({ error }));
    if (group.length === 1) return [await alone(group[0])];
    let written: Array<EventEnvelope[] | null>;
    try {
      written = await this.appendStreams(this.db.pool, group);
    } catch {
      return Promise.all(group.map(alone));
    }
    return Promise.all(group.map(async (a, i) => {
      const envelopes = written[i];
      return envelopes ? { value: { nextVersion: envelopes[envelopes.length - 1].streamPosition!, envelopes } } : { error: await this.refusal(this.db.pool, a.streamId, a.expected) };
    }));
  }

  /** Runs APPEND_STREAMS for appends to distinct streams; per append its envelopes in stream order, or null when its check refused it. */
  private async appendStreams(sql: Sql, appends: GroupedAppend[]): Promise<Array<EventEnvelope[] | null>> {
    const events = appends.flatMap((a) => a.prepared.map((e, i) => ({ a, e, pos: i + 1 })));
    const { rows } = await sql.query<EventRow>({ name: this.statementName('sf_append_streams'), text: APPEND_STREAMS, values: [
      appends.map((a) => a.streamId),
      appends.map((a) => a.prepared.length),
      appends.map((a) => (a.expected === 'any' ? null : a.expected === 'no_stream' ? 0 : a.expected)),
      events.map((x) => x.a.streamId),
      events.map((x) => x.e.eventId),
      events.map((x) => x.e.type),
      events.map((x) => x.e.schemaVersion),
      events.map((x) => x.e.json),
      events.map((x) => JSON.stringify({ correlationId: x.a.metadata.correlationId, causationId: x.a.metadata.causationId, actor: x.a.metadata.actor })),
      events.map((x) => x.a.metadata.occurredAt),
      events.map((x) => x.pos),
    ] });
    const byStream = new Map<string, EventEnvelope[]>();
    for (const row of rows) {
      const envelope = rowToEnvelope(row);
      const list = byStream.get(envelope.streamId);
      if (list) list.push(envelope);
      else byStream.set(envelope.streamId, [envelope]);
    }
    return appends.map((a) => byStream.get(a.streamId)?.sort((x, y) => x.streamPosition! - y.streamPosition!) ?? null);
  }

  /** Why an append to `streamId` wrote nothing: its writer order (retry in a new transaction) or its expected version. */
  private async refusal(sql: Sql, streamId: string, expected: ExpectedVersion): Promise<Error> {
    const { version, ahead } = await this.streamRow(sql, streamId);
    if (ahead && expectedHolds(expected, version)) return new StreamOrderConflict(streamId);
    return new ConcurrencyConflict(streamId, describeExpected(expected), version);
  }

  private async appendIn(sql: Sql, streamId: string, prepared: PreparedEvent[], metadata: ResolvedMetadata, options: AppendOptions): Promise<AppendResult> {
    const { commandId } = options;
    if (commandId !== undefined) {
      // Two identical command ids racing: the second INSERT waits on the first one's primary key
      // and, once that commits, does nothing, so exactly one appends and the other reads its result
      // (or, when its input differs, is refused: IdempotencyKeyReused rolls back its transaction).
      const claimed = await sql.query(
        `INSERT INTO sf_commands (command_id, stream_id, result, input_hash) VALUES ($1, $2, '{}'::jsonb, $3)
         ON CONFLICT (command_id) DO NOTHING RETURNING 1`,
        [commandId, streamId, options.commandFingerprint ?? null],
      );
      if (claimed.rowCount === 0) {
        const stored = await this.storedCommand(sql, commandId, options.commandFingerprint);
        if (!stored) throw new Error(`command ${commandId} was claimed by a transaction that is no longer visible; retry`);
        return stored;
      }
    }
    const { nextVersion, envelopes } =
      prepared.length === 0 ? await this.checkOnly(sql, streamId, options.expectedVersion) : await this.insert(sql, { streamId, prepared, metadata, expected: options.expectedVersion });
    if (commandId !== undefined) {
      const stored: StoredCommandResult = { streamId, nextVersion, eventIds: envelopes.map((e) => e.eventId), commandResult: options.commandResult };
      await sql.query(`UPDATE sf_commands SET result = $2::jsonb WHERE command_id = $1`, [commandId, JSON.stringify(stored)]);
    }
    return { streamId, nextVersion, envelopes, duplicate: false, commandResult: options.commandResult };
  }

  private async insert(sql: Sql, append: GroupedAppend): Promise<{ nextVersion: number; envelopes: EventEnvelope[] }> {
    const [envelopes] = await this.appendStreams(sql, [append]);
    if (!envelopes) throw await this.refusal(sql, append.streamId, append.expected);
    return { nextVersion: envelopes[envelopes.length - 1].streamPosition!, envelopes };
  }

  /** An empty append appends nothing but still honours the expected version. */
  private async checkOnly(sql: Sql, streamId: string, expected: ExpectedVersion) {
    const actual = await this.versionOf(sql, streamId);
    if (!expectedHolds(expected, actual)) throw new ConcurrencyConflict(streamId, describeExpected(expected), actual);
    return { nextVersion: actual, envelopes: [] as EventEnvelope[] };
  }

  private async streamRow(sql: Sql, streamId: string): Promise<{ version: number; ahead: boolean }> {
    const { rows } = await sql.query<{ version: string; ahead: boolean }>(
      `SELECT version::text AS version, last_tx IS NOT NULL AND last_tx > pg_current_xact_id() AS ahead FROM sf_streams WHERE stream_id = $1`,
      [streamId],
    );
    return rows.length ? { version: Number(rows[0].version), ahead: rows[0].ahead } : { version: 0, ahead: false };
  }

  private async versionOf(sql: Sql, streamId: string): Promise<number> {
    const { rows } = await sql.query<{ version: string }>(`SELECT version::text AS version FROM sf_streams WHERE stream_id = $1`, [streamId]);
    return rows.length ? Number(rows[0].version) : 0;
  }

  private async storedCommand(sql: Sql, commandId: string, fingerprint: string | undefined): Promise<AppendResult | null> {
    const { rows } = await sql.query<{ result: StoredCommandResult; input_hash: string | null }>(
      `SELECT result, input_hash FROM sf_commands WHERE command_id = $1`,
      [commandId],
    );
    if (rows.length === 0) return null;
    assertSameInput(commandId, rows[0].input_hash, fingerprint);
    const stored = rows[0].result;
    const events = await sql.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM sf_events WHERE event_id = ANY($1::uuid[]) ORDER BY sf_events.global_position`, [stored.eventIds ?? []]);
    return {
      streamId: stored.streamId,
      nextVersion: stored.nextVersion,
      envelopes: events.rows.map((row) => this.upcast(rowToEnvelope(row))),
      duplicate: true,
      commandResult: stored.commandResult,
    };
  }

  lookupCommand(commandId: string, fingerprint?: string): Promise<AppendResult | null> {
    return this.storedCommand(this.db.pool, commandId, fingerprint);
  }

  async readStream(streamId: string): Promise<{ version: number; events: EventEnvelope[] }> {
    const rows = await this.streamReads.submit(streamId);
    const events = rows.map((row) => this.upcast(rowToEnvelope(row)));
    return { version: events.length ? events[events.length - 1].streamPosition! : 0, events };
  }

  /**
   * The rows of several streams in one round trip (the reads gathered by streamReads). Each read
   * still sees everything committed before it was called: its query starts after the call. The
   * grouped statement is not prepared: a session caches a prepared statement's generic plan, and
   * for `stream_id = ANY($1)` one built while the store was small is a sequential scan that every
   * later read would repeat on the grown table (it was half of PostgreSQL's CPU in the e2e bench).
   * Planned per call, it sees the table as it is; the single-stream read keeps its index plan.
   */
  private async readStreams(ids: string[]): Promise<Array<{ value: EventRow[] }>> {
    const distinct = [...new Set(ids)];
    const { rows } = distinct.length === 1
      ? await this.db.pool.query<EventRow>({ name: this.statementName('sf_read_stream'), text: READ_STREAM, values: distinct })
      : await this.db.pool.query<EventRow>(READ_STREAMS, [distinct]);
    const byStream = new Map<string, EventRow[]>(distinct.map((id) => [id, []]));
    for (const row of rows) byStream.get(row.stream_id)!.push(row);
    return ids.map((id) => ({ value: byStream.get(id)! }));
  }

  async readAll(after: LogSequence | null, limit: number): Promise<StoredEvent[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    const [txId, position] = [after?.txId ?? '0', after?.position ?? '0'];
    if (!DIGITS.test(txId) || !DIGITS.test(position)) throw new RangeError(`not a log sequence: ${txId}:${position}`);
    const read = (condition: string) => `SELECT ${EVENT_COLUMNS} FROM sf_events
       WHERE (tx_id, global_position) > ('${txId}'::xid8, '${position}'::bigint) AND ${condition}
       ORDER BY sf_events.tx_id, sf_events.global_position LIMIT ${limit}`;
    if (this.db.embedded) return this.stored((await this.db.query<EventRow>(read(FINISHED_TRANSACTIONS))).rows);
    // The relay's round trip: the horizon, then the read in a later snapshot, as two statements of
    // one simple-protocol query (values inlined: digits checked above), the horizon passed on in a
    // transaction-local setting. Two round trips before; the relay runs this every round.
    const results = (await this.db.pool.query(
      `SELECT set_config('streamfold.horizon', ${HORIZON_CALL}, true); ${read(`tx_id < current_setting('streamfold.horizon')::xid8`)}`,
    )) as unknown as [unknown, { rows: EventRow[] }];
    return this.stored(results[1].rows);
  }

  private stored(rows: EventRow[]): StoredEvent[] {
    return rows.map((row) => this.upcast(rowToStoredEvent(row)));
  }

  async head(): Promise<LogSequence | null> {
    const { condition, params } = await this.finished(1);
    const { rows } = await this.db.query<{ tx_id: string; position: string }>(
      `SELECT tx_id::text AS tx_id, global_position::text AS position FROM sf_events
       WHERE ${condition} ORDER BY sf_events.tx_id DESC, sf_events.global_position DESC LIMIT 1`,
      params,
    );
    return rows.length ? { txId: rows[0].tx_id, position: rows[0].position } : null;
  }

  /**
   * The gap-safe condition on `tx_id` for a statement that runs next: below this database's
   * horizon (DATABASE_HORIZON, computed by a statement of its own, so from an earlier snapshot),
   * as parameter `$<index>`. On embedded PGlite (one session) the server-wide xmin is this
   * database's and needs no extra round trip.
   */
  private async finished(index: number): Promise<{ condition: string; params: string[] }> {
    if (this.db.embedded) return { condition: FINISHED_TRANSACTIONS, params: [] };
    const { rows } = await this.db.query<{ horizon: string }>(DATABASE_HORIZON);
    return { condition: `tx_id < $${index}::xid8`, params: [rows[0].horizon] };
  }

  /**
   * The last committed event in relay order, including one the gap-safe reader cannot return yet
   * (an older transaction is still open somewhere on the server): what "the relay has published
   * everything" must reach. Null when the store is empty.
   */
  async lastCommitted(): Promise<LogSequence | null> {
    const { rows } = await this.db.query<LogSequence>(
      `SELECT tx_id::text AS "txId", global_position::text AS position FROM sf_events ORDER BY tx_id DESC, global_position DESC LIMIT 1`,
    );
    return rows[0] ?? null;
  }

  async countAfter(after: LogSequence | null): Promise<number> {
    const { condition, params } = await this.finished(3);
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM sf_events WHERE (tx_id, global_position) > ($1::xid8, $2::bigint) AND ${condition}`,
      [after?.txId ?? '0', after?.position ?? '0', ...params],
    );
    return Number(rows[0].n);
  }

  /** Pages through the global log from `after` until caught up (replays, rebuilds). */
  readAllFrom(after: LogSequence | null, options?: ReadAllFromOptions): AsyncGenerator<StoredEvent> {
    return readAllFrom(this, after, options);
  }

  private statementName(name: string): string | undefined {
    return this.preparedStatements ? name : undefined;
  }

  private upcast<E extends EventEnvelope>(envelope: E): E {
    return this.registry ? this.registry.upcast(envelope) : envelope;
  }
}
