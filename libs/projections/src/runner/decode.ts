import { fromWire, HEADER, MalformedMessage, parseSequence } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import type { Delivery, ProjectionDefinition } from '../projection';

/**
 * The outcome of decoding one message for a projection: a delivery, a deliberate skip (a foreign
 * topic's tombstone or heartbeat), or a malformed message to dead-letter.
 */
export type Decoded = { delivery: Delivery } | { skip: string } | { malformed: MalformedMessage };

/**
 * Decodes with the definition's own `decode` for foreign topics (change data capture, another
 * system's messages), else as a Streamfold envelope. Shared by the runner and dead-letter replay
 * so a replayed message is read exactly as it was the first time.
 */
export function decodeFor(definition: Pick<ProjectionDefinition, 'decode'>, message: LogMessage): Decoded {
  const sequence = parseSequence(message.headers[HEADER.sequence]);
  try {
    // The sequence is read once, above: fromWire without headers does not parse it again.
    const envelope = definition.decode ? definition.decode(message) : fromWire(message.value).envelope;
    if (envelope === null) return { skip: 'decoder skipped it' };
    return { delivery: { envelope, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, sequence } };
  } catch (error) {
    if (error instanceof MalformedMessage) return { malformed: error };
    // A decoder that throws anything else has a bug or met a message it does not understand:
    // dead-letter it with the reason rather than stall the partition (invariant 7).
    if (definition.decode) return { malformed: new MalformedMessage(`decode failed: ${(error as Error)?.message ?? String(error)}`) };
    throw error;
  }
}
