import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainEvent, EventRegistry } from '@streamfold/core';
import { AppendOptions, EventStore, PostgresEventStore, PostgresRelayLeases, Relay } from '@streamfold/eventstore';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { Database, RELAY_DATABASE, STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { contextRouter } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { MetricsService } from '../runtime/metrics';

/**
 * Publishes the event store to the log, routed by the hosted contexts, while this process has
 * the `relay` role. One relay is active per database (an advisory-lock lease); others stand by.
 */
@Injectable()
export class RelayWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Relay');
  readonly relay: Relay;

  constructor(
    @Inject(RELAY_DATABASE) db: Database,
    @Inject(MESSAGE_LOG) log: MessageLog,
    registry: EventRegistry,
    metrics: MetricsService,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
    @Inject(STREAMFOLD_CONTEXTS) contexts: ContextDefinition[],
  ) {
    // Reads on the relay's own pool (DB_RELAY_POOL_SIZE), so it never queues behind requests.
    const store = new PostgresEventStore(db, registry);
    this.relay = new Relay({
      store,
      log,
      route: contextRouter(contexts),
      leases: new PostgresRelayLeases(db),
      lingerMs: config.relayLingerMs,
      metrics: metrics.registry,
      logger: (level, message) => this.logger[level === 'info' ? 'log' : level](message),
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.relay) this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/** Wakes the relay right after an append so a command reaches Kafka without waiting for the next poll. */
export function wakingStore(store: EventStore, worker: RelayWorker): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    append: async (streamId: string, events: DomainEvent[], options: AppendOptions) => {
      const result = await store.append(streamId, events, options);
      if (!options.sql && result.envelopes.length > 0 && !result.duplicate) worker.relay.wake();
      return result;
    },
  });
}
