import { DynamicModule, Module, Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Infrastructure, StreamfoldConfig } from '@streamfold/runtime';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { collectContexts } from '../context/streamfold.module';
import { StreamfoldHostModule } from '../host/streamfold-host.module';
import { ReactionErrorFilter, ReactionsTransport } from '../reactions/reactions.transport';
import { httpMetrics } from '../runtime/http-metrics';
import { MetricsService } from '../runtime/metrics';
import { TelemetryShipping } from '../runtime/telemetry-shipping';
import { HostOptions, readConfig, startInfrastructure } from './boot';

/** A running Streamfold HTTP server. */
export interface Server {
  app: NestExpressApplication;
  infra: Infrastructure;
  /** Loopback URL of the bound port. */
  url: string;
  /** Stops consumers and the relay, closes HTTP, the pool and the log. */
  close(): Promise<void>;
}

/** Options of `startServer`. */
export interface ServerOptions extends HostOptions {
  /** @default the environment (`loadConfig()`) */
  config?: StreamfoldConfig;
  /** Nest and request logs. @default true */
  logger?: boolean;
  /** Pending migrations: apply, check (refuse to start) or skip. @default apply on embedded or MIGRATE_ON_START=true, else check */
  schema?: 'apply' | 'check' | 'skip';
  /** OpenAPI document title. @default 'Streamfold' */
  title?: string;
  /** Where pino lines go besides `app_logs` (a benchmark or test may silence stdout and still ship). @default process.stdout */
  logDestination?: DestinationStream;
}

/**
 * Serves an application module whose imports register bounded contexts with
 * `StreamfoldModule.forFeature`: finds them, opens the infrastructure they need (migrations,
 * topics), hosts them with the framework's services, and starts HTTP, projections, relay and
 * reactions per PROCESS_ROLES.
 */
export async function startServer(appModule: Type<unknown> | DynamicModule, options: ServerOptions = {}): Promise<Server> {
  const config = options.config ?? readConfig();
  const contexts = collectContexts(appModule);
  const infra = await startInfrastructure(config, contexts, { schema: options.schema, host: options });
  // Owned here, not by Nest: it must outlive app.close() to flush the lines logged while stopping.
  const shipping = new TelemetryShipping(infra.log, config, { stdout: options.logDestination });
  try {
    @Module({ imports: [StreamfoldHostModule.forRoot(infra, contexts, shipping), appModule] })
    class StreamfoldRoot {}
    const app = await NestFactory.create<NestExpressApplication>(StreamfoldRoot, {
      bufferLogs: true,
      abortOnError: false,
      logger: options.logger === false ? false : undefined,
    });
    if (options.logger !== false) app.useLogger(app.get(Logger));
    // Before any route is registered (Nest registers them in listen), so every request is timed.
    app.use(httpMetrics(app.get(MetricsService).registry));
    app.useBodyParser('json', { limit: '64kb' });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    const docs = new DocumentBuilder()
      .setTitle(options.title ?? 'Streamfold')
      .setDescription('Event-sourced CQRS on Kafka: commands, queries and operations')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs));
    if (config.workers) {
      // Its own application config: a global filter added here must not reach the HTTP routes.
      const reactions = app.connectMicroservice({ strategy: new ReactionsTransport(infra.log, infra.database) });
      reactions.useGlobalFilters(new ReactionErrorFilter());
      await app.startAllMicroservices();
    }
    await app.listen(config.port, '0.0.0.0');
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return {
      app,
      infra,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        await shipping.close();
        await infra.close();
      },
    };
  } catch (error) {
    await shipping.close();
    await infra.close();
    throw error;
  }
}
