import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { BearerAuthGuard, WriteRateLimitGuard, writeRateLimitOptions } from '@streamfold/auth';
import { EventRegistry } from '@streamfold/core';
import { EVENT_STORE, PostgresEventStore } from '@streamfold/eventstore';
import { Database, Infrastructure, STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { allProjections } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { AdminController } from '../http/admin.controller';
import { ApiRoleGuard } from '../http/api-role.guard';
import { DomainExceptionFilter } from '../http/domain-exception.filter';
import { IngestController } from '../lake/ingest.controller';
import { LakeAdminController } from '../lake/lake-admin.controller';
import { LakeSetup } from '../lake/lake-setup';
import { LakeSinkWorker } from '../lake/lake-sink.worker';
import { UnavailableFilter } from '../http/unavailable.filter';
import { DashboardController } from '../dashboard/dashboard.controller';
import { streamfoldGraphQL } from '../graphql/graphql.module';
import { HostResolver } from '../graphql/host.resolver';
import { ProjectionsModule } from '../projections/projections.module';
import { RuntimeModule } from '../runtime/runtime.module';
import { TelemetryShipping } from '../runtime/telemetry-shipping';
import { RelayWorker, wakingStore } from './relay.worker';
import { TelemetryPublisher } from './telemetry.publisher';

/** Builds the event registry of every hosted context (validation on write, upcasting on read). */
export function contextRegistry(contexts: readonly ContextDefinition[]): EventRegistry {
  return new EventRegistry().register(...contexts.flatMap((c) => c.events));
}

/**
 * Everything the hosted contexts share, on infrastructure opened before Nest started: config,
 * pool, log, metrics, health; the event registry and PostgreSQL event store (PGlite on the
 * embedded default), the relay, the projection runners, the lake sink, bearer auth, the rate
 * limit, the admin API (lake queries included), ingestion, the one mapping of domain errors to
 * HTTP, and GraphQL (in processes with the `api` role: contexts' resolvers plug into one schema
 * at /graphql). `startServer` and `runCli` build it; an application never imports it itself.
 */
@Global()
@Module({})
export class StreamfoldHostModule {
  static forRoot(infra: Infrastructure, contexts: ContextDefinition[], lake: LakeSetup, shipping?: TelemetryShipping): DynamicModule {
    const graphql = infra.config.api ? [streamfoldGraphQL(infra.config)] : [];
    return {
      module: StreamfoldHostModule,
      global: true,
      imports: [
        ...graphql,
        RuntimeModule.forRoot(infra, { shipping }),
        ProjectionsModule.forRoot({ projections: allProjections(contexts) }),
        ThrottlerModule.forRootAsync({
          inject: [STREAMFOLD_CONFIG],
          useFactory: (config: StreamfoldConfig) => writeRateLimitOptions(config.rateLimitWrites, config.rateLimitWindowSeconds),
        }),
      ],
      controllers: [AdminController, LakeAdminController, ...(infra.config.api ? [DashboardController] : [])],
      providers: [
        { provide: STREAMFOLD_CONTEXTS, useValue: contexts },
        { provide: EventRegistry, useValue: contextRegistry(contexts) },
        { provide: PostgresEventStore, inject: [Database, EventRegistry], useFactory: (db: Database, registry: EventRegistry) => new PostgresEventStore(db, registry) },
        { provide: LakeSetup, useValue: lake },
        RelayWorker,
        LakeSinkWorker,
        TelemetryPublisher,
        ...(infra.config.api ? [HostResolver] : []),
        { provide: EVENT_STORE, inject: [PostgresEventStore, RelayWorker], useFactory: wakingStore },
        // Order matters: a worker-only process refuses API routes first; the rate limit keys on
        // the user the bearer guard identified.
        { provide: APP_GUARD, useClass: ApiRoleGuard },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_GUARD, useClass: WriteRateLimitGuard },
        // Filters run last-registered first: domain errors are caught before the catch-all.
        { provide: APP_FILTER, useClass: UnavailableFilter },
        { provide: APP_FILTER, useClass: DomainExceptionFilter },
      ],
      exports: [STREAMFOLD_CONTEXTS, EVENT_STORE, EventRegistry, PostgresEventStore, RelayWorker, TelemetryPublisher, LakeSetup, LakeSinkWorker, ProjectionsModule],
    };
  }
}

/**
 * The generic `POST /ingest/:stream` route, imported after the application's modules so that a
 * context's own `/ingest/<name>` route (e.g. ops' `/ingest/logs`) is matched first.
 */
@Module({ controllers: [IngestController] })
export class StreamfoldIngestModule {}
