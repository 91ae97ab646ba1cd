import { CanActivate, createParamDecorator, ExecutionContext, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import { PUBLIC_ROUTE } from './public-route';
import { InvalidToken, Principal, verifyToken } from './tokens';

const ROLES = 'streamfold:roles';

export { Public } from './public-route';
/** Requires every listed role, e.g. @Roles('admin') on replay and dead-letter operations. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** The verified caller of the current request. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest().principal as Principal | undefined;
  if (!principal) throw new UnauthorizedException('missing bearer token');
  return principal;
});

/** `Authorization: Bearer <JWT>` (HS256, JWT_SECRET) on every route not marked @Public(). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const request = ctx.switchToHttp().getRequest();
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
