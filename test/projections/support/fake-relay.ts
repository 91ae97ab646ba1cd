import { randomUUID } from 'node:crypto';
import { EventEnvelope, LogSequence, toWire } from '@streamfold/core';
import type { MessageLog } from '@streamfold/messaging';
import type { StoredEvent } from '@streamfold/eventstore';
import { COUNTED } from './counts-projection';

export interface Draft {
  key: string;
  /** @default test.Counted */
  type?: string;
  data?: Record<string, unknown>;
}

/**
 * Plays the relay: gives events increasing (txId, position) sequences, publishes them keyed by
 * stream, and can re-send what it already published, as a relay does after a crash.
 */
export class FakeRelay {
  /** Every event once, in relay order (what the event store holds). */
  readonly stored: StoredEvent[] = [];
  /** Telemetry produced straight to Kafka: no sequence, not in the store. */
  readonly telemetry: EventEnvelope[] = [];
  private published: Array<{ key: string; event: StoredEvent }> = [];
  private txId = 5000n;
  private position = 0n;
  private readonly streamVersions = new Map<string, number>();
  resent = 0;

  constructor(private readonly log: MessageLog, private readonly topic: string) {}

  /** Publishes the drafts as one transaction's events. */
  async publish(drafts: Draft[]): Promise<StoredEvent[]> {
    this.txId += 1n + BigInt(Math.floor(Math.random() * 3));
    const events = drafts.map((d) => this.event(d));
    this.stored.push(...events);
    const entries = events.map((event) => ({ key: event.streamId, event }));
    this.published.push(...entries);
    await this.send(entries);
    return events;
  }

  /** Re-sends the last `count` published events with their original sequences. */
  async resendLast(count: number): Promise<void> {
    const again = this.published.slice(-count);
    this.resent += again.length;
    await this.send(again);
  }

  /** Telemetry: produced directly, without sf-seq, so only the checkpoint offset protects it from redelivery. */
  async publishTelemetry(drafts: Draft[]): Promise<void> {
    const envelopes = drafts.map((d) => {
      const { sequence: _, ...envelope } = this.event(d);
      return { ...envelope, streamPosition: null, globalPosition: null };
    });
    this.telemetry.push(...envelopes);
    await this.log.send(
      this.topic,
      envelopes.map((e) => {
        const wire = toWire(e, e.streamId, null);
        return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
      }),
    );
  }

  /** A message that is not an event envelope at all. */
  async publishGarbage(key: string): Promise<void> {
    await this.log.send(this.topic, [{ key, value: 'this is not json {', headers: { 'sf-type': COUNTED } }]);
  }

  /** From-scratch fold of what was published: test.Counted events per stream, each once. */
  expectedCounts(filter: (e: EventEnvelope) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of [...this.stored, ...this.telemetry]) if (e.type === COUNTED && filter(e)) counts[e.streamId] = (counts[e.streamId] ?? 0) + 1;
    return counts;
  }

  countedEvents(): number {
    return [...this.stored, ...this.telemetry].filter((e) => e.type === COUNTED).length;
  }

  /** EventStore.readAll over what was published. */
  readAll = async (after: LogSequence | null, limit: number): Promise<StoredEvent[]> => {
    const start = after === null ? 0 : this.stored.findIndex((e) => e.sequence.txId === after.txId && e.sequence.position === after.position) + 1;
    return this.stored.slice(start, start + limit);
  };

  private async send(entries: Array<{ key: string; event: StoredEvent }>): Promise<void> {
    await this.log.send(
      this.topic,
      entries.map(({ key, event }) => {
        const { sequence, ...envelope } = event;
        const wire = toWire(envelope, key, sequence);
        return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
      }),
    );
  }

  private event(draft: Draft): StoredEvent {
    this.position += 1n;
    const version = (this.streamVersions.get(draft.key) ?? 0) + 1;
    this.streamVersions.set(draft.key, version);
    const now = new Date().toISOString();
    const envelope: EventEnvelope = {
      eventId: randomUUID(),
      type: draft.type ?? COUNTED,
      schemaVersion: 1,
      streamId: draft.key,
      streamPosition: version,
      globalPosition: String(this.position),
      occurredAt: now,
      recordedAt: now,
      correlationId: null,
      causationId: null,
      actor: 'test',
      data: draft.data ?? {},
    };
    return { ...envelope, sequence: { txId: String(this.txId), position: String(this.position) } };
  }
}
