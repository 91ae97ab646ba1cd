import { EventEnvelope, formatSequence, LogSequence, parseSequence } from './envelope';

/** Kafka headers every Streamfold message carries. */
export const HEADER = {
  type: 'sf-type',
  eventId: 'sf-event-id',
  /** Relay order "txId:position"; absent on telemetry. */
  sequence: 'sf-seq',
  schemaVersion: 'sf-schema',
} as const;

/** An envelope encoded for the log: JSON value, Streamfold headers, event time as timestamp. */
export interface WireMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  timestamp: number;
}

/** Encodes an envelope as a Kafka message; the Kafka timestamp is the event time. */
export function toWire(envelope: EventEnvelope, key: string | null, sequence: LogSequence | null): WireMessage {
  const headers: Record<string, string> = {
    [HEADER.type]: envelope.type,
    [HEADER.eventId]: envelope.eventId,
    [HEADER.schemaVersion]: String(envelope.schemaVersion),
  };
  if (sequence) headers[HEADER.sequence] = formatSequence(sequence);
  return { key, value: JSON.stringify(envelope), headers, timestamp: Date.parse(envelope.occurredAt) };
}

/** A message that is not a Streamfold envelope; consumers dead-letter it instead of retrying. */
export class MalformedMessage extends Error {
  override name = 'MalformedMessage';
}

/** Decodes a Kafka message value; throws MalformedMessage for anything that is not an envelope. */
export function fromWire(value: Buffer | string, headers: Record<string, string> = {}): { envelope: EventEnvelope; sequence: LogSequence | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    throw new MalformedMessage('message value is not JSON');
  }
  const e = parsed as Partial<EventEnvelope>;
  if (!e || typeof e !== 'object' || typeof e.type !== 'string' || typeof e.eventId !== 'string' || typeof e.streamId !== 'string' || typeof e.occurredAt !== 'string') {
    throw new MalformedMessage('message value is not a Streamfold event envelope');
  }
  return { envelope: e as EventEnvelope, sequence: parseSequence(headers[HEADER.sequence]) };
}
