import { CanActivate, ExecutionContext, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';

const ALWAYS_SERVED = /^\/(health|metrics)(\/|\?|$)/;

/**
 * A process without the `api` role (PROCESS_ROLES=relay,projections) serves only /health and
 * /metrics: its HTTP port is for operations, and commands must go to the API processes.
 */
@Injectable()
export class ApiRoleGuard implements CanActivate {
  constructor(@Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (this.config.api || ctx.getType() !== 'http') return true;
    const url: string = ctx.switchToHttp().getRequest().url ?? '';
    if (ALWAYS_SERVED.test(url)) return true;
    throw new NotFoundException(`this process does not serve the API (PROCESS_ROLES=${this.config.processRoles.join(',')})`);
  }
}
