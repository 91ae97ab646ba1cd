import { BeforeApplicationShutdown, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard, WriteRateLimitGuard, writeRateLimitOptions } from '@streamfold/auth';
import { ThrottlerModule } from '@nestjs/throttler';
import { DomainEvent, EventRegistry } from '@streamfold/core';
import {
  AppendOptions,
  DomainExceptionFilter,
  EVENT_STORE,
  EventStore,
  PostgresEventStore,
  PostgresRelayLeases,
  Relay,
} from '@streamfold/eventstore';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { ProjectionsModule } from '@streamfold/projections';
import { Database, MetricsService, STREAMFOLD_CONFIG, StreamfoldConfig, UnavailableFilter } from '@streamfold/runtime';
import { AdminController } from './admin/admin.controller';
import { CONTEXTS, eventRegistry, routeEvent } from './contexts';

/** The relay worker: publishes the event store to the log while this process runs workers. */
@Injectable()
export class RelayWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Relay');
  readonly relay: Relay;

  constructor(
    db: Database,
    @Inject(MESSAGE_LOG) log: MessageLog,
    @Inject(PostgresEventStore) store: PostgresEventStore,
    metrics: MetricsService,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
  ) {
    this.relay = new Relay({
      store,
      log,
      route: routeEvent,
      leases: new PostgresRelayLeases(db),
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
function wakingStore(store: EventStore, worker: RelayWorker): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    append: async (streamId: string, events: DomainEvent[], options: AppendOptions) => {
      const result = await store.append(streamId, events, options);
      if (!options.sql && result.envelopes.length > 0 && !result.duplicate) worker.relay.wake();
      return result;
    },
  });
}

/**
 * Event sourcing for every hosted context: the event registry, the PostgreSQL event store (PGlite
 * on the embedded default), the relay, the projection workers, bearer auth and the mapping of
 * domain errors to HTTP.
 */
@Global()
@Module({
  imports: [
    ProjectionsModule.forRoot({ projections: CONTEXTS.flatMap((c) => c.projections) }),
    ThrottlerModule.forRootAsync({
      inject: [STREAMFOLD_CONFIG],
      useFactory: (config: StreamfoldConfig) => writeRateLimitOptions(config.rateLimitWrites, config.rateLimitWindowSeconds),
    }),
  ],
  controllers: [AdminController],
  providers: [
    { provide: EventRegistry, useFactory: eventRegistry },
    { provide: PostgresEventStore, inject: [Database, EventRegistry], useFactory: (db: Database, registry: EventRegistry) => new PostgresEventStore(db, registry) },
    RelayWorker,
    { provide: EVENT_STORE, inject: [PostgresEventStore, RelayWorker], useFactory: wakingStore },
    // Order matters: the rate limit keys on the user the bearer guard identified.
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: WriteRateLimitGuard },
    // Filters run last-registered first: domain errors are caught before the catch-all.
    { provide: APP_FILTER, useClass: UnavailableFilter },
    { provide: APP_FILTER, useClass: DomainExceptionFilter },
  ],
  exports: [EVENT_STORE, EventRegistry, PostgresEventStore, RelayWorker, ProjectionsModule],
})
export class EventSourcingModule {}
