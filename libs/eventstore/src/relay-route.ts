import { EventEnvelope, toWire } from '@streamfold/core';
import type { OutgoingMessage } from '@streamfold/messaging';
import { StoredEvent } from './event-store.port';

/**
 * Where an event goes: a topic and a key, or null when it is not published. Give every event of
 * a stream the same key (e.g. the aggregate id) so the stream stays on one partition, in order.
 */
export type RelayRoute = (envelope: EventEnvelope) => { topic: string; key: string } | null;

/** Wire messages per topic, each topic's list in relay order (so per key, per partition). */
export function groupByTopic(batch: StoredEvent[], route: RelayRoute): Map<string, OutgoingMessage[]> {
  const groups = new Map<string, OutgoingMessage[]>();
  for (const { sequence, ...envelope } of batch) {
    const target = route(envelope);
    if (!target) continue;
    let messages = groups.get(target.topic);
    if (!messages) groups.set(target.topic, (messages = []));
    messages.push(toWire(envelope, target.key, sequence));
  }
  return groups;
}
