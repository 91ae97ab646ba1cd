import type { DomainEvent, EventEnvelope } from '@streamfold/core';
import type { AppendOptions, AppendResult, EventStore } from '@streamfold/eventstore';

/** One append() call as RecordingEventStore saw it. */
export interface RecordedAppend {
  streamId: string;
  events: DomainEvent[];
  options: AppendOptions;
}

/**
 * An EventStore.append that records what a processor appended, for tests that assert on output
 * rather than on a store. It keeps stream versions and builds envelopes like a store would, but
 * checks no expected version and is not transactional: use the real stores for those guarantees.
 */
export class RecordingEventStore implements Pick<EventStore, 'append'> {
  readonly appends: RecordedAppend[] = [];
  private readonly versions = new Map<string, number>();
  private position = 0;

  async append(streamId: string, events: DomainEvent[], options: AppendOptions): Promise<AppendResult> {
    this.appends.push({ streamId, events, options });
    let version = this.versions.get(streamId) ?? 0;
    const recordedAt = new Date().toISOString();
    const envelopes: EventEnvelope[] = events.map((event) => ({
      eventId: `appended-${++this.position}`,
      type: event.type,
      schemaVersion: 1,
      streamId,
      streamPosition: ++version,
      globalPosition: String(this.position),
      occurredAt: (options.metadata?.occurredAt ?? new Date()).toISOString(),
      recordedAt,
      correlationId: options.metadata?.correlationId ?? null,
      causationId: options.metadata?.causationId ?? null,
      actor: options.metadata?.actor ?? null,
      data: event.data,
    }));
    this.versions.set(streamId, version);
    return { streamId, nextVersion: version, envelopes, duplicate: false };
  }

  /** Every appended event in append order, with its stream and the event time of its cause. */
  get events(): Array<DomainEvent & { streamId: string; occurredAt: string | undefined; causationId: string | null | undefined }> {
    return this.appends.flatMap(({ streamId, events, options }) =>
      events.map((e) => ({ streamId, type: e.type, data: e.data, occurredAt: options.metadata?.occurredAt?.toISOString(), causationId: options.metadata?.causationId })),
    );
  }
}
