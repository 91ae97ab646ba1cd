import { LogSequence } from '@streamfold/core';
import { AppendResult, EventStore } from './event-store.port';

/**
 * Optional capabilities both stores offer beyond the EventStore port. Kept out of the port so a
 * third-party store can implement the port alone; callers test for them with the guards below.
 */
export interface CommandLookup {
  /**
   * The stored result of an already executed command id, as a duplicate append would return it
   * (`duplicate: true`), or null when the id is unknown. Lets a command handler answer a client's
   * retry before deciding again against a state the first attempt already changed. With a
   * fingerprint (see commandFingerprint), throws IdempotencyKeyReused when the command id was
   * stored with another one.
   */
  lookupCommand(commandId: string, fingerprint?: string): Promise<AppendResult | null>;
}

/**
 * A store that can count the events the relay has not yet read. Like readAll, the count only sees
 * committed events below the oldest open transaction, so it never runs ahead of the relay.
 */
export interface LagAware {
  /** How many events readAll would still return after `after` (relay lag). */
  countAfter(after: LogSequence | null): Promise<number>;
}

/** Whether the store can answer a repeated command id before deciding again (CommandLookup). */
export function canLookupCommands(store: EventStore): store is EventStore & CommandLookup {
  return typeof (store as Partial<CommandLookup>).lookupCommand === 'function';
}

/** Whether the store can count unrelayed events (LagAware); the relay reports lag only for those. */
export function isLagAware(store: EventStore): store is EventStore & LagAware {
  return typeof (store as Partial<LagAware>).countAfter === 'function';
}

/** What sf_commands.result (and the in-memory store) keeps per command id. */
export interface StoredCommandResult {
  streamId: string;
  nextVersion: number;
  eventIds: string[];
  commandResult?: unknown;
}
