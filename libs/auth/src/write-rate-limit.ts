import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModuleOptions } from '@nestjs/throttler';

/**
 * Per-user limit on write endpoints (429 with a Retry-After header). Reads are not limited here;
 * anonymous writers never get this far (the bearer guard runs first), so the key is the user id.
 */
@Injectable()
export class WriteRateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const method: string = context.switchToHttp().getRequest().method;
    return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return req.principal?.userId ? `user:${req.principal.userId}` : `ip:${req.ip}`;
  }

  protected override async throwThrottlingException(): Promise<void> {
    const { ThrottlerException } = await import('@nestjs/throttler');
    throw new ThrottlerException('too many write requests for this user: slow down and retry after the Retry-After delay');
  }
}

/** RATE_LIMIT_WRITES (per user per RATE_LIMIT_WINDOW_SECONDS); 0 turns the limit off. */
export function writeRateLimitOptions(writes: number, windowSeconds: number): ThrottlerModuleOptions {
  return {
    throttlers: [{ name: 'default', limit: writes, ttl: windowSeconds * 1000 }],
    skipIf: () => writes === 0,
  };
}
