import { randomUUID } from 'node:crypto';
import { ConcurrencyConflict, Decider, DomainEvent, EventEnvelope, fold } from '@streamfold/core';
import { commandFingerprint } from './command-fingerprint';
import { canLookupCommands } from './event-store.capabilities';
import { EventStore } from './event-store.port';

/** Who runs the command and with which clock and id source, so deciders stay pure. */
export interface CommandContext {
  /** Acting user id; stored as the events' actor. */
  actor: string | null;
  /** The command's clock, also the events' occurredAt. @default new Date() on each attempt */
  now?: Date | (() => Date);
  /** Ids the decider mints (new post id ...). @default crypto.randomUUID */
  newId?: () => string;
}

/** One command to execute against one stream with a decider; see executeCommand. */
export interface ExecuteCommandOptions<Command, Event extends DomainEvent, State, Result> {
  store: EventStore;
  decider: Decider<Command, Event, State>;
  streamId: string;
  command: Command;
  context: CommandContext;
  /** Idempotency key (e.g. a client's Idempotency-Key header): a repeat appends nothing and returns the first result. */
  commandId?: string;
  /**
   * What the client asked for (e.g. the request body and path ids, never ids the handler mints),
   * fingerprinted with the command id: the same id with other input throws IdempotencyKeyReused
   * (422) and changes nothing. @default none (the command id alone decides)
   */
  input?: unknown;
  /** What the caller answers (e.g. `{ postId }`), computed from the decided events and the new state; stored with the command id. */
  resultOf?: (events: Event[], state: State) => Result;
  /** Correlation and causation ids stored on the events. @default null */
  correlationId?: string | null;
  causationId?: string | null;
  /** Times to reload and decide again after a ConcurrencyConflict; only where the command is safe to re-decide. @default 0 */
  maxRetries?: number;
  /**
   * The stream as the caller already read it (e.g. together with another stream the decision
   * needs, in one round trip): the first attempt decides on it instead of reading again; a retry
   * after a conflict reads afresh. @default read by executeCommand
   */
  loaded?: { version: number; events: EventEnvelope[] };
}

/** What executeCommand did: the events appended (or found, on a repeated command id) and the result. */
export interface CommandOutcome<Result> {
  /** The appended events (on a duplicate: the first execution's). */
  events: EventEnvelope[];
  /** Stream version after the command. */
  version: number;
  duplicate: boolean;
  result: Result | undefined;
}

/**
 * The body of a command handler: load the stream, fold it, decide, append at the loaded version.
 * A concurrent writer makes the append throw ConcurrencyConflict (409 through
 * DomainExceptionFilter) unless maxRetries allows deciding again on the fresh state. A known
 * command id answers with the stored result before deciding, because the first execution has
 * already changed the state the decision would see.
 */
export async function executeCommand<Command, Event extends DomainEvent, State, Result = undefined>(
  options: ExecuteCommandOptions<Command, Event, State, Result>,
): Promise<CommandOutcome<Result>> {
  const { store, decider, streamId, command, context, commandId } = options;
  const fingerprint = commandId !== undefined && options.input !== undefined ? commandFingerprint(options.input) : undefined;
  const maxRetries = options.maxRetries ?? 0;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError(`maxRetries must be an integer >= 0, got ${maxRetries}`);
  for (let attempt = 0; ; attempt++) {
    if (commandId !== undefined && canLookupCommands(store)) {
      const known = await store.lookupCommand(commandId, fingerprint);
      if (known) return { events: known.envelopes, version: known.nextVersion, duplicate: true, result: known.commandResult as Result };
    }
    const loaded = attempt === 0 && options.loaded ? options.loaded : await store.readStream(streamId);
    // Envelopes carry type and data, which is all a decider's events are.
    const state = fold(decider, loaded.events as unknown as Event[]);
    const now = typeof context.now === 'function' ? context.now() : (context.now ?? new Date());
    const decided = decider.decide(command, state, { now, actor: context.actor, newId: context.newId ?? randomUUID });
    const result = options.resultOf?.(decided, decided.reduce(decider.evolve, state));
    if (decided.length === 0 && commandId === undefined) return { events: [], version: loaded.version, duplicate: false, result };
    try {
      const appended = await store.append(streamId, decided, {
        expectedVersion: loaded.version,
        commandId,
        commandResult: result,
        commandFingerprint: fingerprint,
        metadata: { occurredAt: now, actor: context.actor, correlationId: options.correlationId ?? null, causationId: options.causationId ?? null },
      });
      return { events: appended.envelopes, version: appended.nextVersion, duplicate: appended.duplicate, result: appended.commandResult as Result };
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict) || attempt >= maxRetries) throw error;
    }
  }
}

/**
 * The current state of one stream as a decider folds it, read (not locked): for deciding
 * another aggregate's command that depends on it (a like checks that its post is open).
 */
export async function loadState<Event extends DomainEvent, State>(
  store: Pick<EventStore, 'readStream'>,
  decider: Pick<Decider<never, Event, State>, 'initialState' | 'evolve'>,
  streamId: string,
): Promise<{ state: State; version: number }> {
  const loaded = await store.readStream(streamId);
  // Envelopes carry type and data, which is all a decider's events are; the stream's owner wrote them.
  return { state: fold(decider, loaded.events as unknown as Event[]), version: loaded.version };
}
