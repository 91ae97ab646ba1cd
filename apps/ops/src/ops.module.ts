import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { text } from 'express';
import { IngestLogsHandler } from './application/ingest-logs.command';
import { GetOpsMetricsHandler, GetServicesHandler, SearchLogsHandler } from './application/ops.queries';
import { IngestController } from './http/ingest.controller';
import { OpsController } from './http/ops.controller';
import { opsContext } from './ops.context';

/** Largest body of POST /ingest/logs; above it the parser answers 413 before anything is read into memory. */
export const INGEST_BODY_LIMIT = '1mb';

/** Logging and metrics bounded context: aggregation, search, alerts, Prometheus export, log ingestion. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(opsContext)],
  controllers: [OpsController, IngestController],
  providers: [SearchLogsHandler, GetServicesHandler, GetOpsMetricsHandler, IngestLogsHandler],
})
export class OpsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // JSON lines are not JSON: they get their own parser and a larger limit than the API's 64 kB.
    consumer.apply(text({ type: ['application/x-ndjson', 'text/plain'], limit: INGEST_BODY_LIMIT })).forRoutes({ path: 'ingest/logs', method: RequestMethod.POST });
  }
}
