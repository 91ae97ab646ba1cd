import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Infrastructure } from '@streamfold/runtime';
import { Public } from '@streamfold/auth';
import { ApiErrors } from '../http/openapi.decorators';
import { HealthIndicatorResponse, HealthResponse } from './health.dto';

/** `GET /health`, public: whether PostgreSQL and the message log answer, for load balancers and probes. */
@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(Infrastructure) private readonly infra: Infrastructure,
  ) {}

  /** 200 when PostgreSQL and the log (Kafka or embedded) answer, 503 otherwise. */
  @Get()
  // Terminus's own swagger schema is off: it would replace the two responses documented here.
  @HealthCheck({ swaggerDocumentation: false })
  // Not @ApiRead: its 503 is Terminus's per-dependency report, not the ApiError body.
  @ApiOperation({ operationId: 'checkHealth', summary: 'Whether PostgreSQL and the message log answer', security: [] })
  @ApiExtraModels(HealthIndicatorResponse)
  @ApiOkResponse({ type: HealthResponse, description: 'every dependency answers' })
  @ApiServiceUnavailableResponse({ type: HealthResponse, description: 'a dependency does not answer (see `error`)' })
  @ApiErrors({ status: 401, description: 'A bearer token was sent and is invalid (the route needs none).' })
  check() {
    const { database, log } = this.infra.description;
    return this.health.check([
      () => this.probe('database', database, () => this.infra.database.query('select 1')),
      () => this.probe('log', log, () => this.infra.log.ping()),
    ]);
  }

  private async probe(key: string, target: string, fn: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(fn(), 3000);
      return indicator.up({ target });
    } catch (error) {
      return indicator.down({ target, message: (error as Error).message });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms}ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
