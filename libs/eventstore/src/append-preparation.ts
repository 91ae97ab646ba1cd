import { DomainEvent, EventMetadata, EventRegistry, ExpectedVersionDescription } from '@streamfold/core';
import { randomUUID } from 'node:crypto';
import { ExpectedVersion } from './event-store.port';

/** An event checked and given its identity, ready for either store. */
export interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  /** The payload as JSON text: both stores keep what JSON keeps, so they return the same thing. */
  json: string;
}

/** Validates every payload before anything is written, so a bad event never half-writes a batch. */
export function prepareEvents(events: DomainEvent[], registry: EventRegistry | undefined): PreparedEvent[] {
  if (!Array.isArray(events)) throw new TypeError('events must be an array');
  return events.map((event, i) => {
    if (!event || typeof event.type !== 'string' || event.type === '') throw new TypeError(`events[${i}] has no type`);
    registry?.validate(event.type, event.data);
    return {
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: registry ? registry.currentVersion(event.type) : 1,
      json: JSON.stringify(event.data ?? null),
    };
  });
}

export function checkExpectedVersion(expected: ExpectedVersion): void {
  if (expected === 'any' || expected === 'no_stream') return;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`expectedVersion must be 'any', 'no_stream' or an integer >= 0, got ${String(expected)}`);
  }
}

/** 'no_stream' and 0 mean the same: a stream exists only once it holds an event. */
export function expectedHolds(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return actual === expected;
}

export function describeExpected(expected: ExpectedVersion): ExpectedVersionDescription {
  return expected === 'no_stream' ? 'no stream' : expected;
}

export interface ResolvedMetadata {
  occurredAt: string;
  correlationId: string | null;
  causationId: string | null;
  actor: string | null;
}

export function resolveMetadata(metadata: EventMetadata | undefined, clock: () => Date): ResolvedMetadata {
  const occurredAt = metadata?.occurredAt ?? clock();
  if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) throw new TypeError('metadata.occurredAt must be a valid Date');
  return {
    occurredAt: occurredAt.toISOString(),
    correlationId: metadata?.correlationId ?? null,
    causationId: metadata?.causationId ?? null,
    actor: metadata?.actor ?? null,
  };
}
