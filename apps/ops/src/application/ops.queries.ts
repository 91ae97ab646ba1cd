import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { LogFilters, LogSearchResult, searchLogs } from './log-search.query';
import { renderPrometheus } from './prometheus-text';
import { ServiceOverview, serviceOverview } from './service-overview.query';

export class SearchLogs {
  constructor(readonly filters: LogFilters) {}
}
export class GetServices {}
export class GetOpsMetrics {}

@QueryHandler(SearchLogs)
export class SearchLogsHandler implements IQueryHandler<SearchLogs, LogSearchResult> {
  constructor(private readonly db: Database) {}
  execute({ filters }: SearchLogs): Promise<LogSearchResult> {
    return searchLogs(this.db, filters);
  }
}

@QueryHandler(GetServices)
export class GetServicesHandler implements IQueryHandler<GetServices, ServiceOverview[]> {
  constructor(private readonly db: Database) {}
  execute(): Promise<ServiceOverview[]> {
    return serviceOverview(this.db);
  }
}

@QueryHandler(GetOpsMetrics)
export class GetOpsMetricsHandler implements IQueryHandler<GetOpsMetrics, string> {
  constructor(private readonly db: Database) {}
  async execute(): Promise<string> {
    return renderPrometheus(await serviceOverview(this.db));
  }
}
