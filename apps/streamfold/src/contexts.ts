import { EventEnvelope, EventRegistry, EventTypeDefinition } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { ProjectionDefinition } from '@streamfold/projections';
import { Type } from '@nestjs/common';
import { SocialContext } from '../../social/src';

/** What a bounded context brings to the host process. */
export interface BoundedContext {
  name: string;
  module: Type<unknown>;
  topics: TopicSpec[];
  eventTypes: EventTypeDefinition[];
  route: (envelope: EventEnvelope) => { topic: string; key: string } | null;
  projections: ProjectionDefinition[];
}

/** Every bounded context this process hosts (the default `npm start` runs them all). */
export const CONTEXTS: BoundedContext[] = [SocialContext];

/**
 * Every hosted context's event types, for validation on write and upcasting on read. Whatever
 * reads the store (the host, the CLI's rebuild from the event store) needs it: a read without it
 * hands old schema versions to projections that expect the current one.
 */
export function eventRegistry(): EventRegistry {
  return new EventRegistry().register(...CONTEXTS.flatMap((c) => c.eventTypes));
}

/** The relay's routing: the first context that claims an event type decides topic and key. */
export function routeEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  for (const context of CONTEXTS) {
    const route = context.route(envelope);
    if (route) return route;
  }
  return null;
}
