import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { IngestLogsHandler } from './application/ingest-logs.command';
import { GetOpsMetricsHandler, GetServicesHandler, SearchLogsHandler } from './application/ops.queries';
import { ingestBodyParser } from './http/ingest-body.middleware';
import { IngestController } from './http/ingest.controller';
import { OpsController } from './http/ops.controller';
import { opsContext } from './ops.context';

/** Logging and metrics bounded context: aggregation, search, alerts, Prometheus export, log ingestion. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(opsContext)],
  controllers: [OpsController, IngestController],
  providers: [SearchLogsHandler, GetServicesHandler, GetOpsMetricsHandler, IngestLogsHandler],
})
export class OpsModule implements NestModule {
  constructor(private readonly http: HttpAdapterHost) {}

  configure(consumer: MiddlewareConsumer): void {
    // On Fastify (HTTP_ADAPTER) the host's own parsers read text and JSON lines with the /ingest/ limit.
    if (this.http.httpAdapter?.getType() === 'fastify') return;
    consumer.apply(ingestBodyParser()).forRoutes({ path: 'ingest/logs', method: RequestMethod.POST });
  }
}
