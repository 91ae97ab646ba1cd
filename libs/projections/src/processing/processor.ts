import type { DomainEvent } from '@streamfold/core';
import type { EventStore, ManyStreamAppender, StreamAppend } from '@streamfold/eventstore';
import type { Delivery, MessageDecoder, ProjectionContext, ProjectionDefinition } from '../projection';
import { consumerId } from '../runner/consumer-id';
import { postgresProcessorState, ProcessorStateStore } from './processor-state';

/** An event a processor emits, with the stream it is appended to. */
export type EmittedEvent<E extends DomainEvent = DomainEvent> = E & { streamId: string };

/** What a processor decides for one delivery: the key's next state and the events to emit. */
export interface ProcessResult<S, E extends DomainEvent = DomainEvent> {
  /** The key's next state (JSON-serialisable, never null: null means "no state"). */
  state: S;
  /** Events to append, in order. @default [] */
  emit?: EmittedEvent<E>[];
  /** Why the delivery changed nothing (e.g. "late"): reported, not thrown, so it does not retry. */
  ignored?: string;
}

/**
 * A stream processor: a pure fold of deliveries into per-key state that emits new events
 * (trending posts, surge prices, alerts). It knows no database, Kafka or NestJS; defineProcessor
 * gives it the delivery guarantee of a projection.
 */
export interface Processor<S, E extends DomainEvent = DomainEvent, In extends DomainEvent = DomainEvent> {
  /** Stable name; with the version it namespaces the state (`name@v<version>`). */
  name: string;
  topics: string[];
  /** Event types it needs; others are skipped by the runner. @default every type */
  handles?: ReadonlyArray<In['type']>;
  /** Which state a delivery belongs to. @default the Kafka key, else the stream id */
  keyOf?(delivery: Delivery<In>): string;
  /** Reads foreign (non-envelope) topics; see ProjectionDefinition.decode. @default the Streamfold wire format */
  decode?: MessageDecoder;
  initialState(key: string): S;
  process(state: S, delivery: Delivery<In>): ProcessResult<S, E>;
}

/** Where defineProcessor appends output and keeps state; both must join the batch's transaction. */
export interface ProcessorDependencies {
  /**
   * Output goes to the event store; the relay publishes it to Kafka like any other event. A store
   * that also has `appendMany` (transactionalAppender) writes a batch's whole output in one round trip.
   */
  eventStore: Pick<EventStore, 'append'> & Partial<ManyStreamAppender>;
  /** @default postgresProcessorState (sf_processor_state, in the batch's transaction) */
  stateStore?: ProcessorStateStore;
  /** Hook for logs and metrics of ignored deliveries. @default does nothing */
  onIgnored?(delivery: Delivery, reason: string): void;
}

/**
 * `name@v<version>`, the same id as the processor's consumer group and checkpoints: a rebuild
 * (a new version) starts from empty state beside the live one.
 */
export function processorNamespace(name: string, version: number): string {
  return consumerId(name, version);
}

/**
 * Runs a processor as a projection: the runner hands it a de-duplicated batch inside one
 * transaction, and state, emitted events and the runner's checkpoint commit together, so every
 * delivery takes effect exactly once (invariant 4 of docs/architecture.md).
 *
 * There is deliberately no variant that produces to a Kafka topic directly: that would be a dual
 * write. Emitted events are appended to the store in the batch's transaction and the relay
 * publishes them.
 */
export function defineProcessor<S, E extends DomainEvent = DomainEvent, In extends DomainEvent = DomainEvent>(
  processor: Processor<S, E, In>,
  deps: ProcessorDependencies,
): ProjectionDefinition<In> {
  const store = deps.stateStore ?? postgresProcessorState;
  const onIgnored = deps.onIgnored ?? (() => undefined);

  return keyedStateDefinition<S, In>(processor, store, async ({ deliveries, keys, stored, namespace }, ctx) => {
    const states = new Map<string, S>();
    const outputs: Array<{ cause: Delivery<In>; streamId: string; events: DomainEvent[] }> = [];

    deliveries.forEach((delivery, i) => {
      const key = keys[i];
      const state = states.has(key) ? (states.get(key) as S) : stored.has(key) ? (stored.get(key) as S) : processor.initialState(key);
      const result = processor.process(state, delivery);
      states.set(key, result.state);
      if (result.ignored !== undefined) onIgnored(delivery, result.ignored);
      for (const { streamId, ...event } of result.emit ?? []) {
        if (!streamId) throw new Error(`processor ${processor.name} emitted ${event.type} without a streamId`);
        const last = outputs[outputs.length - 1];
        if (last && last.cause === delivery && last.streamId === streamId) last.events.push(event);
        else outputs.push({ cause: delivery, streamId, events: [event] });
      }
    });

    // Saves only states that changed (ignored deliveries change nothing). jsonb may reorder
    // object keys, which at worst costs a redundant write, never a lost one.
    const changed = [...states].filter(([key, state]) => JSON.stringify(state) !== JSON.stringify(stored.get(key))).map(([key, state]) => ({ key, state }));
    await store.save(ctx.sql, namespace, changed);

    await appendAllCaused(deps.eventStore, ctx, processor.name, outputs);
  });
}

/** Appends a batch's outputs, each with its cause's metadata: in one round trip when the store can, else one append each. */
export async function appendAllCaused(
  eventStore: Pick<EventStore, 'append'> & Partial<ManyStreamAppender>,
  ctx: ProjectionContext,
  processorName: string,
  outputs: ReadonlyArray<{ cause: Delivery<DomainEvent>; streamId: string; events: DomainEvent[] }>,
): Promise<void> {
  if (outputs.length === 0) return;
  if (eventStore.appendMany) {
    const appends: StreamAppend[] = outputs.map(({ cause, streamId, events }) => ({ streamId, events, metadata: causedMetadata(processorName, cause) }));
    await eventStore.appendMany(appends, { sql: ctx.sql });
    return;
  }
  for (const { cause, streamId, events } of outputs) await appendCaused(eventStore, ctx, processorName, cause, streamId, events);
}

function causedMetadata(processorName: string, cause: Delivery<DomainEvent>) {
  const { envelope } = cause;
  return {
    causationId: envelope.eventId,
    correlationId: envelope.correlationId ?? envelope.eventId,
    actor: processorName,
    // Output carries the event time of its cause, so downstream windows stay in event time.
    occurredAt: new Date(envelope.occurredAt),
  };
}

/** One batch as a keyed processor folds it. */
export interface KeyedBatch<S, In extends DomainEvent = DomainEvent> {
  deliveries: Array<Delivery<In>>;
  /** keys[i] is the state key of deliveries[i]. */
  keys: string[];
  /** Stored states of the batch's keys, locked until the transaction ends. */
  stored: Map<string, S>;
  namespace: string;
}

/**
 * The projection shape every processor shares: no read-model tables (state lives in
 * sf_processor_state, created by the framework migration), and the batch's per-key states loaded
 * and locked before `fold` runs, inside the batch's transaction.
 */
export function keyedStateDefinition<S, In extends DomainEvent = DomainEvent>(
  processor: Pick<Processor<S, DomainEvent, In>, 'name' | 'topics' | 'handles' | 'keyOf' | 'decode'>,
  store: ProcessorStateStore,
  fold: (batch: KeyedBatch<S, In>, ctx: ProjectionContext) => Promise<void>,
): ProjectionDefinition<In> {
  const keyOf = processor.keyOf ?? ((d: Delivery<In>) => d.key ?? d.envelope.streamId);
  return {
    name: processor.name,
    kind: 'processor',
    topics: processor.topics,
    tables: [],
    handles: processor.handles,
    decode: processor.decode,
    async setup() {},
    async apply(deliveries: Array<Delivery<In>>, ctx: ProjectionContext) {
      if (deliveries.length === 0) return;
      const namespace = processorNamespace(processor.name, ctx.version);
      const keys = deliveries.map(keyOf);
      const stored = (await store.load(ctx.sql, namespace, keys)) as Map<string, S>;
      await fold({ deliveries, keys, stored, namespace }, ctx);
    },
  };
}

/** Appends a processor's output in the batch's transaction, caused by (and timed as) `cause`. */
export function appendCaused(
  eventStore: Pick<EventStore, 'append'>,
  ctx: ProjectionContext,
  processorName: string,
  cause: Delivery<DomainEvent>,
  streamId: string,
  events: DomainEvent[],
) {
  return eventStore.append(streamId, events, {
    expectedVersion: 'any',
    sql: ctx.sql,
    // A refused append fails the whole batch, which is rolled back and retried: no savepoint needed.
    savepoint: false,
    metadata: causedMetadata(processorName, cause),
  });
}
