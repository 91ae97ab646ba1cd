import 'reflect-metadata';
import { Controller, Get, HttpCode, Module, Param, Put, ValidationPipe } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CommandHandler, CqrsModule, CommandBus, type ICommandHandler } from '@nestjs/cqrs';
import { BearerAuthGuard, CurrentUser, type Principal } from '@streamfold/auth';
import { uuidParam } from '@streamfold/nestjs';
import { STREAMFOLD_CONFIG } from '@streamfold/runtime';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../libs/nestjs/src/bootstrap/http-app';
import { env } from '../lib/self';

/**
 * The like command's HTTP layer alone, on Express (our default) or Fastify (ADAPTER): the same
 * route, bearer-token guard (HS256 verified per request), UUID pipe, global ValidationPipe and
 * CommandBus dispatch as `PUT /social/posts/:postId/like` in the host, with a handler that does no
 * I/O, and 60 other routes registered before it (OTHER_ROUTES; Express matches routes one after
 * another, the host has about 70), on the host's own HTTP setup (`createHttpApp`: request metric,
 * body parsers, keep-alive). What differs between the two runs is the adapter only. Prints READY <url>.
 */
class LikePost {
  constructor(
    readonly userId: string,
    readonly postId: string,
  ) {}
}

@CommandHandler(LikePost)
class LikePostHandler implements ICommandHandler<LikePost> {
  async execute(): Promise<void> {
    await Promise.resolve();
  }
}

@Controller('social')
class LikeController {
  constructor(private readonly commands: CommandBus) {}

  @Put('posts/:postId/like')
  @HttpCode(204)
  like(@CurrentUser() user: Principal, @Param('postId', uuidParam('postId')) postId: string): Promise<void> {
    return this.commands.execute(new LikePost(user.userId, postId));
  }
}

/** Routes the like request is matched past, as in a host with several contexts (OTHER_ROUTES, default 60). */
class OtherRoutes {}
for (let i = 0; i < Number(process.env.OTHER_ROUTES ?? 60); i++) {
  const key = `route${i}`;
  Object.defineProperty(OtherRoutes.prototype, key, { value: (id: string) => ({ i, id }), writable: true, configurable: true });
  const descriptor = Object.getOwnPropertyDescriptor(OtherRoutes.prototype, key)!;
  Get(`other${i}/:id`)(OtherRoutes.prototype, key, descriptor);
  Param('id')(OtherRoutes.prototype, key, 0);
}
Controller('ctx')(OtherRoutes);

@Module({
  imports: [CqrsModule.forRoot()],
  controllers: [OtherRoutes, LikeController],
  providers: [LikePostHandler, { provide: STREAMFOLD_CONFIG, useValue: { jwtSecret: env('JWT_SECRET') } }, { provide: APP_GUARD, useClass: BearerAuthGuard }],
})
class HttpLayerModule {}

async function main() {
  const adapter = env('ADAPTER');
  if (adapter !== 'express' && adapter !== 'fastify') throw new Error(`ADAPTER must be express or fastify, not ${adapter}`);
  // The host's own HTTP setup (request metric, body parsers and limits, keep-alive) on either adapter.
  const app = await createHttpApp(HttpLayerModule, adapter, () => new Registry(), { logger: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${address.port}\n`);
  process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
