import type { DomainEvent, EventEnvelope } from '@streamfold/core';
import type { Delivery } from '@streamfold/projections';

/** One event as a test describes it: what happened, to which stream, when. */
export interface DeliveryInput<E extends DomainEvent = DomainEvent> {
  event: E;
  /** The event's stream; also its Kafka key unless `key` says otherwise. */
  stream: string;
  /**
   * Event time: ISO string, 'HH:MM' or 'HH:MM:SS' (on the day of `startAt`), Date or epoch ms.
   * @default startAt + position in the list × stepMs
   */
  at?: string | Date | number;
  /** @default options.topic */
  topic?: string;
  /** @default stream */
  key?: string | null;
  /** @default a stable hash of the key modulo options.partitions */
  partition?: number;
  /** Produced straight to Kafka (positions, CDC rows): no stream position and no relay sequence. @default false */
  telemetry?: boolean;
  /** @default null */
  correlationId?: string | null;
  /** @default null */
  actor?: string | null;
}

/** Defaults deliveries() applies to every input: topic, partitions and the event-time clock. */
export interface DeliveriesOptions {
  /** @default 'events' */
  topic?: string;
  /** @default 1 */
  partitions?: number;
  /** @default '2025-01-01T12:00:00.000Z' */
  startAt?: string | Date;
  /** Gap between consecutive default event times, also the arrival clock (recordedAt). @default 1000 */
  stepMs?: number;
}

/**
 * Turns domain events into the Deliveries a projection or processor receives, in list order =
 * arrival order. Like the real pipeline it assigns event ids, stream positions, global positions,
 * relay sequences (one transaction per event, increasing in list order) and per-partition offsets
 * from 0. Event time is free, so a test can make events arrive out of event-time order.
 * Partitions use a stable FNV-1a hash, not Kafka's murmur2: tests need determinism, not
 * the broker's placement.
 */
export function deliveries(inputs: DeliveryInput[], options: DeliveriesOptions = {}): Delivery[] {
  const start = new Date(options.startAt ?? '2025-01-01T12:00:00.000Z').getTime();
  const step = options.stepMs ?? 1000;
  const partitions = options.partitions ?? 1;
  const offsets = new Map<string, number>();
  const streamVersions = new Map<string, number>();
  let position = 0;

  return inputs.map((input, index) => {
    const topic = input.topic ?? options.topic ?? 'events';
    const key = input.key === undefined ? input.stream : input.key;
    const partition = input.partition ?? (key === null ? 0 : hash(key) % partitions);
    const slot = `${topic}/${partition}`;
    const offset = offsets.get(slot) ?? 0;
    offsets.set(slot, offset + 1);
    const telemetry = input.telemetry ?? false;
    let streamPosition: number | null = null;
    if (!telemetry) {
      streamPosition = (streamVersions.get(input.stream) ?? 0) + 1;
      streamVersions.set(input.stream, streamPosition);
      position++;
    }
    const arrival = start + index * step;
    const envelope: EventEnvelope = {
      eventId: `evt-${index + 1}`,
      type: input.event.type,
      schemaVersion: 1,
      streamId: input.stream,
      streamPosition,
      globalPosition: telemetry ? null : String(position),
      occurredAt: eventTime(input.at, start, arrival),
      recordedAt: new Date(arrival).toISOString(),
      correlationId: input.correlationId ?? null,
      causationId: null,
      actor: input.actor ?? null,
      data: input.event.data,
    };
    const sequence = telemetry ? null : { txId: String(position), position: String(position) };
    return { envelope, topic, partition, offset, key, sequence };
  });
}

function eventTime(at: DeliveryInput['at'], start: number, fallback: number): string {
  if (at === undefined) return new Date(fallback).toISOString();
  if (typeof at === 'string' && /^\d{2}:\d{2}(:\d{2})?$/.test(at)) {
    const day = new Date(start).toISOString().slice(0, 10);
    return new Date(`${day}T${at.length === 5 ? `${at}:00` : at}.000Z`).toISOString();
  }
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) throw new RangeError(`cannot read event time ${String(at)}`);
  return date.toISOString();
}

function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
