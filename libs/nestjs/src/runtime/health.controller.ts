import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Infrastructure } from '@streamfold/runtime';
import { Public } from '@streamfold/auth';

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
  @HealthCheck()
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
