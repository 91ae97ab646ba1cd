import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModuleOptions } from '@nestjs/throttler';
import { requestOf } from './auth.guard';

/**
 * Per-user limit on write endpoints and GraphQL mutations (429 with a Retry-After header; in
 * GraphQL `extensions.code: rate_limited`). Reads, queries and subscriptions are not limited here;
 * anonymous writers never get this far (the bearer guard runs first), so the key is the user id.
 */
@Injectable()
export class WriteRateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() === 'graphql') return (context.getArgs()[3] as { operation?: { operation?: string } })?.operation?.operation !== 'mutation';
    const method: string = context.switchToHttp().getRequest().method;
    return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  }

  // One mutation field at a time: a GraphQL resolver's request and response live in its context.
  protected override getRequestResponse(context: ExecutionContext): { req: Record<string, any>; res: Record<string, any> } {
    if (context.getType<string>() !== 'graphql') return super.getRequestResponse(context);
    const gql = context.getArgs()[2] as { req?: Record<string, any>; res?: Record<string, any> };
    return { req: requestOf(context), res: gql?.res ?? { header: () => undefined } };
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return req.principal?.userId ? `user:${req.principal.userId}` : `ip:${req.ip}`;
  }

  // The plain key instead of the library's sha256 of it: one hash per write request less; the
  // key stays in this process's memory only.
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${context.getClass().name}-${context.getHandler().name}-${name}-${suffix}`;
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
