import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { IngestLogsHandler } from './application/ingest-logs.command';
import { GetOpsMetricsHandler, GetServicesHandler, SearchLogsHandler } from './application/ops.queries';
import { IngestController } from './http/ingest.controller';
import { OpsController } from './http/ops.controller';
import { opsContext } from './ops.context';

/** Logging and metrics bounded context: aggregation, search, alerts, Prometheus export, log ingestion. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(opsContext)],
  controllers: [OpsController, IngestController],
  providers: [SearchLogsHandler, GetServicesHandler, GetOpsMetricsHandler, IngestLogsHandler],
})
export class OpsModule {}
