import { Controller, Get, Header, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '@streamfold/auth';
import { ApiRead } from '@streamfold/nestjs';
import { parseLogFilters } from '../application/log-search.query';
import { GetOpsMetrics, GetServices, SearchLogs } from '../application/ops.queries';
import { LogsQuery } from './ops.dto';

/** Search and overview for operators (admin), and the aggregated metrics for Prometheus (public, like /metrics). */
@ApiTags('ops')
@Controller('ops')
export class OpsController {
  constructor(private readonly queries: QueryBus) {}

  @ApiRead({ operationId: 'searchLogs', summary: 'Recent log lines of every service, newest first, with the total number of matches', errors: [400, 403] })
  @ApiOkResponse({ description: 'matching lines and their total' })
  @Roles('admin')
  @Get('logs')
  logs(@Query() q: LogsQuery) {
    return this.queries.execute(new SearchLogs(parseLogFilters(q)));
  }

  @ApiRead({ operationId: 'listServices', summary: 'Per service: lines per level, error ratio, request rate and latency percentiles', errors: [403] })
  @ApiOkResponse({ description: 'one row per service' })
  @Roles('admin')
  @Get('services')
  services() {
    return this.queries.execute(new GetServices());
  }

  @ApiRead({ operationId: 'scrapeOpsMetrics', summary: 'The aggregates in Prometheus text format, for a scrape job', public: true })
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.queries.execute(new GetOpsMetrics());
  }
}
