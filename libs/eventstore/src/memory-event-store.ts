import { compareSequence, ConcurrencyConflict, DomainEvent, EventEnvelope, EventRegistry, LogSequence } from '@streamfold/core';
import { assertSameInput } from './command-fingerprint';
import { checkExpectedVersion, describeExpected, expectedHolds, prepareEvents, resolveMetadata } from './append-preparation';
import { CommandLookup, LagAware, StoredCommandResult } from './event-store.capabilities';
import { AppendOptions, AppendResult, EventStore, StoredEvent } from './event-store.port';
import { readAllFrom, ReadAllFromOptions } from './read-all-from';

/** An event as kept: the payload stays JSON text so every read hands out a fresh, unshared copy. */
type Kept = Omit<StoredEvent, 'data'> & { json: string };

/**
 * The event store in process memory, with the PostgreSQL store's semantics: optimistic
 * concurrency, command-id idempotency, registry validation and upcasting, and a global log in
 * (txId, position) order where txId counts appends. Each append runs without awaiting anything,
 * so it is atomic and the log never has gaps. For fast tests and the embedded default; nothing
 * survives the process. `AppendOptions.sql` is ignored: there is no transaction to join.
 */
export class InMemoryEventStore implements EventStore, CommandLookup, LagAware {
  private readonly log: Kept[] = [];
  private readonly streams = new Map<string, Kept[]>();
  private readonly commands = new Map<string, { stored: StoredCommandResult; fingerprint: string | null }>();
  private readonly byId = new Map<string, Kept>();
  private lastTx = 0;

  constructor(
    private readonly registry?: EventRegistry,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async append(streamId: string, events: DomainEvent[], options: AppendOptions): Promise<AppendResult> {
    if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
    checkExpectedVersion(options.expectedVersion);
    const prepared = prepareEvents(events, this.registry);
    const metadata = resolveMetadata(options.metadata, this.clock);
    if (options.commandId !== undefined) {
      const duplicate = this.stored(options.commandId, options.commandFingerprint);
      if (duplicate) return duplicate;
    }
    const stream = this.streams.get(streamId) ?? [];
    if (!expectedHolds(options.expectedVersion, stream.length)) {
      throw new ConcurrencyConflict(streamId, describeExpected(options.expectedVersion), stream.length);
    }
    const txId = String(prepared.length > 0 ? ++this.lastTx : this.lastTx);
    const recordedAt = this.clock().toISOString();
    const kept = prepared.map((e, i): Kept => {
      const position = String(this.log.length + i + 1);
      return {
        eventId: e.eventId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        streamId,
        streamPosition: stream.length + i + 1,
        globalPosition: position,
        occurredAt: metadata.occurredAt,
        recordedAt,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        actor: metadata.actor,
        json: e.json,
        sequence: { txId, position },
      };
    });
    for (const k of kept) {
      this.log.push(k);
      stream.push(k);
      this.byId.set(k.eventId, k);
    }
    if (kept.length > 0) this.streams.set(streamId, stream);
    const nextVersion = stream.length;
    if (options.commandId !== undefined) {
      // Stored as JSON like sf_commands.result, so a duplicate gets what PostgreSQL would return.
      const stored: StoredCommandResult = JSON.parse(JSON.stringify({ streamId, nextVersion, eventIds: kept.map((k) => k.eventId), commandResult: options.commandResult }));
      this.commands.set(options.commandId, { stored, fingerprint: options.commandFingerprint ?? null });
    }
    return { streamId, nextVersion, envelopes: kept.map((k) => this.envelope(k)), duplicate: false, commandResult: options.commandResult };
  }

  async lookupCommand(commandId: string, fingerprint?: string): Promise<AppendResult | null> {
    return this.stored(commandId, fingerprint);
  }

  private stored(commandId: string, fingerprint: string | undefined): AppendResult | null {
    const command = this.commands.get(commandId);
    if (!command) return null;
    assertSameInput(commandId, command.fingerprint, fingerprint);
    const { stored } = command;
    return {
      streamId: stored.streamId,
      nextVersion: stored.nextVersion,
      envelopes: stored.eventIds.map((id) => this.upcast(this.envelope(this.byId.get(id)!))),
      duplicate: true,
      commandResult: stored.commandResult,
    };
  }

  async readStream(streamId: string): Promise<{ version: number; events: EventEnvelope[] }> {
    const stream = this.streams.get(streamId) ?? [];
    return { version: stream.length, events: stream.map((k) => this.upcast(this.envelope(k))) };
  }

  async readAll(after: LogSequence | null, limit: number): Promise<StoredEvent[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    const start = this.indexAfter(after);
    return this.log.slice(start, start + limit).map((k) => this.upcast(this.toStored(k)));
  }

  async head(): Promise<LogSequence | null> {
    const last = this.log[this.log.length - 1];
    return last ? { ...last.sequence } : null;
  }

  async countAfter(after: LogSequence | null): Promise<number> {
    return this.log.length - this.indexAfter(after);
  }

  /** Pages through the global log from `after` until caught up (replays, rebuilds). */
  readAllFrom(after: LogSequence | null, options?: ReadAllFromOptions): AsyncGenerator<StoredEvent> {
    return readAllFrom(this, after, options);
  }

  /** Index of the first event after `after`; the log is sorted by sequence, so binary search. */
  private indexAfter(after: LogSequence | null): number {
    if (!after) return 0;
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareSequence(this.log[mid].sequence, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private envelope(k: Kept): EventEnvelope {
    const { json, sequence: _sequence, ...rest } = k;
    return { ...rest, data: JSON.parse(json) };
  }

  private toStored(k: Kept): StoredEvent {
    return { ...this.envelope(k), sequence: { ...k.sequence } };
  }

  private upcast<E extends EventEnvelope>(envelope: E): E {
    return this.registry ? this.registry.upcast(envelope) : envelope;
  }
}
