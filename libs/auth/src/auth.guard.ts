import { CanActivate, createParamDecorator, ExecutionContext, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import { PUBLIC_ROUTE } from './public-route';
import { InvalidToken, Principal, verifyToken } from './tokens';

const ROLES = 'streamfold:roles';

export { Public } from './public-route';
/** Requires every listed role, e.g. @Roles('admin') on replay and dead-letter operations. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/**
 * The request behind an HTTP route or a GraphQL resolver. Nest's GraphQL resolvers get
 * `(root, args, context, info)` and the framework's GraphQL context carries `req` (for a
 * subscription, a request-like object holding the principal verified at connection). Read here
 * without importing @nestjs/graphql, so this package does not depend on it.
 */
export function requestOf(ctx: ExecutionContext): any {
  if (ctx.getType<string>() === 'graphql') return (ctx.getArgs()[2] as { req?: unknown } | undefined)?.req ?? {};
  return ctx.switchToHttp().getRequest();
}

/** The verified caller of the current request or GraphQL operation. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = requestOf(ctx).principal as Principal | undefined;
  if (!principal) throw new UnauthorizedException('missing bearer token');
  return principal;
});

/**
 * `Authorization: Bearer <JWT>` (HS256, JWT_SECRET) on every route and resolver not marked
 * @Public(). GraphQL subscriptions carry no header: their principal was verified when the
 * socket connected (`connectionParams.authorization`) and is already on the request.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const request = requestOf(ctx);
    const header: unknown = request.headers?.authorization;
    if (typeof header === 'string' && header.startsWith('Bearer ')) {
      try {
        request.principal = verifyToken(this.config.jwtSecret, header.slice(7).trim());
      } catch (error) {
        if (error instanceof InvalidToken) throw new UnauthorizedException(error.message);
        throw error;
      }
    } else if (header !== undefined) {
      throw new UnauthorizedException('Authorization must be "Bearer <token>"');
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const principal: Principal | undefined = request.principal;
    if (!principal) throw new UnauthorizedException('missing bearer token');
    const roles = this.reflector.getAllAndOverride<string[]>(ROLES, targets) ?? [];
    const missing = roles.filter((r) => !principal.roles.includes(r));
    if (missing.length > 0) throw new ForbiddenException(`requires role ${missing.join(', ')}`);
    return true;
  }
}
