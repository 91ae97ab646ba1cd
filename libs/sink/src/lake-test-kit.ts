import { randomUUID } from 'node:crypto';
import { EventEnvelope, toWire } from '@streamfold/core';
import type { OutgoingMessage } from '@streamfold/messaging';

/**
 * Envelopes and wire messages for the sink's tests, e2e kill test and bench (not exported from the
 * package index: the lake itself never builds envelopes).
 */
export function testEnvelope(type: string, data: unknown, occurredAt: Date, streamId = `s-${randomUUID()}`): EventEnvelope {
  return {
    eventId: randomUUID(), type, schemaVersion: 1, streamId, streamPosition: 1, globalPosition: null,
    occurredAt: occurredAt.toISOString(), recordedAt: occurredAt.toISOString(), correlationId: null, causationId: null, actor: 'test', data,
  };
}

/** As the relay sends it: keyed by stream, with its sequence in the sf-seq header. */
export function relayMessage(envelope: EventEnvelope, seq: number | null): OutgoingMessage {
  const wire = toWire(envelope, envelope.streamId, seq === null ? null : { txId: String(seq), position: String(seq) });
  return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
}
