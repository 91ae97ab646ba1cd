import { DynamicModule, Module } from '@nestjs/common';
import { Database } from '@streamfold/runtime';
import { DeadLetters } from '@streamfold/projections';
import { PROJECTIONS_OPTIONS, ProjectionRegistry, ProjectionsModuleOptions } from './projection-registry';

/**
 * Runs the given projections in this process (when config `workers` is true) and offers their
 * registry and dead letters. Needs RuntimeModule (global) for Database, MESSAGE_LOG, metrics and config.
 *
 * Why not the @nestjs/microservices Kafka transport: it commits offsets itself after each handler
 * returns, so it cannot commit the checkpoint in the read model's own transaction, and it has no
 * notion of the relay's sequence to drop re-sent events. Exactly-once effects need both, so
 * projections consume through the MessageLog port and keep their checkpoints in PostgreSQL.
 */
@Module({})
export class ProjectionsModule {
  static forRoot(options: ProjectionsModuleOptions): DynamicModule {
    return {
      module: ProjectionsModule,
      providers: [
        { provide: PROJECTIONS_OPTIONS, useValue: options },
        ProjectionRegistry,
        { provide: DeadLetters, inject: [Database], useFactory: (db: Database) => new DeadLetters(db, options.projections) },
      ],
      exports: [ProjectionRegistry, DeadLetters],
    };
  }
}
