import type { DomainEvent } from '@streamfold/core';
import type { EventStore, ManyStreamAppender } from '@streamfold/eventstore';
import type { Delivery, MessageDecoder, ProjectionDefinition } from '../projection';
import { postgresProcessorState, ProcessorStateStore } from './processor-state';
import { appendAllCaused, EmittedEvent, keyedStateDefinition } from './processor';

/**
 * A processor that emits once per key per window instead of once per delivery: a hot post liked a
 * thousand times in a window yields one "counts changed" event, not a thousand. The window is
 * one transaction of the runner, which gathers every partition's batches for `windowMs`. State
 * folding stays pure (`evolve`), and so does the decision to emit (`emit`, from the state before
 * and after the window).
 */
export interface BatchProcessor<S, E extends DomainEvent = DomainEvent, In extends DomainEvent = DomainEvent> {
  name: string;
  topics: string[];
  handles?: ReadonlyArray<In['type']>;
  /** @default the Kafka key, else the stream id */
  keyOf?(delivery: Delivery<In>): string;
  /** Reads foreign (non-envelope) topics; see ProjectionDefinition.decode. @default the Streamfold wire format */
  decode?: MessageDecoder;
  initialState(key: string): S;
  evolve(state: S, delivery: Delivery<In>): S;
  /**
   * How long deliveries gather before the processor folds and emits them, ms: at most one output
   * per key per window, and one transaction per window. Longer means fewer events downstream and
   * later ones. @default 100
   */
  windowMs?: number;
  /** What to emit for a key the window touched; null emits nothing. `last` is the key's last delivery of the window. */
  emit(key: string, before: S | undefined, after: S, last: Delivery<In>): EmittedEvent<E> | null;
}

/**
 * Runs a BatchProcessor as a projection, with defineProcessor's guarantee: states, emitted events
 * and the checkpoint commit in the batch's transaction, so each delivery takes effect once.
 */
export function defineBatchProcessor<S, E extends DomainEvent = DomainEvent, In extends DomainEvent = DomainEvent>(
  processor: BatchProcessor<S, E, In>,
  deps: { eventStore: Pick<EventStore, 'append'> & Partial<ManyStreamAppender>; stateStore?: ProcessorStateStore },
): ProjectionDefinition<In> {
  const stateStore = deps.stateStore ?? postgresProcessorState;
  const windowMs = processor.windowMs ?? 100;
  if (!Number.isFinite(windowMs) || windowMs < 0) throw new RangeError(`${processor.name}: windowMs must be a number >= 0, got ${windowMs}`);
  const definition = keyedStateDefinition<S, In>(processor, stateStore, async ({ deliveries, keys, stored, namespace }, ctx) => {
    const after = new Map<string, S>();
    const last = new Map<string, Delivery<In>>();
    deliveries.forEach((delivery, i) => {
      const key = keys[i];
      const state = after.get(key) ?? stored.get(key) ?? processor.initialState(key);
      after.set(key, processor.evolve(state, delivery));
      last.set(key, delivery);
    });
    await stateStore.save(ctx.sql, namespace, [...after].map(([key, state]) => ({ key, state })));
    const outputs: Array<{ cause: Delivery<DomainEvent>; streamId: string; events: DomainEvent[] }> = [];
    for (const [key, state] of after) {
      const cause = last.get(key)!;
      const emitted = processor.emit(key, stored.get(key), state, cause);
      if (!emitted) continue;
      const { streamId, ...event } = emitted;
      outputs.push({ cause: cause as Delivery<DomainEvent>, streamId, events: [event] });
    }
    await appendAllCaused(deps.eventStore, ctx, processor.name, outputs);
  });
  // Keyed state folds the same whichever partition an event came from: one call per window.
  return { ...definition, applyScope: 'transaction', gatherMs: windowMs };
}
