import { Controller, Get, Header, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, Roles } from '@streamfold/auth';
import { parseLogFilters } from '../application/log-search.query';
import { GetOpsMetrics, GetServices, SearchLogs } from '../application/ops.queries';
import { LogsQuery } from './ops.dto';

/** Search and overview for operators (admin), and the aggregated metrics for Prometheus (public, like /metrics). */
@ApiTags('ops')
@Controller('ops')
export class OpsController {
  constructor(private readonly queries: QueryBus) {}

  @ApiBearerAuth()
  @ApiOperation({ summary: 'Recent log lines of every service, newest first, with the total number of matches' })
  @Roles('admin')
  @Get('logs')
  logs(@Query() q: LogsQuery) {
    return this.queries.execute(new SearchLogs(parseLogFilters(q)));
  }

  @ApiBearerAuth()
  @ApiOperation({ summary: 'Per service: lines per level, error ratio, request rate and latency percentiles' })
  @Roles('admin')
  @Get('services')
  services() {
    return this.queries.execute(new GetServices());
  }

  @ApiOperation({ summary: 'The aggregates in Prometheus text format, for a scrape job' })
  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.queries.execute(new GetOpsMetrics());
  }
}
