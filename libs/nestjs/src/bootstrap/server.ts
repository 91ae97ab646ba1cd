import { DynamicModule, INestApplication, Module, Type, ValidationPipe } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { Infrastructure, StreamfoldConfig } from '@streamfold/runtime';
import type { LakeConfig } from '@streamfold/sink';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { collectContexts } from '../context/streamfold.module';
import { validationExceptionFactory } from '../http/api-error';
import { buildOpenApiDocument } from '../http/openapi.document';
import { StreamfoldHostModule, StreamfoldIngestModule } from '../host/streamfold-host.module';
import { lakeSetup } from '../lake/lake-setup';
import { connectReactions, ReactionsTransport } from '../reactions/reactions.transport';
import { MetricsService } from '../runtime/metrics';
import { TelemetryShipping } from '../runtime/telemetry-shipping';
import { HostOptions, readConfig, startInfrastructure } from './boot';
import { createHttpApp } from './http-app';

/** A running Streamfold HTTP server. */
export interface Server {
  /** On Express or Fastify (HTTP_ADAPTER). */
  app: INestApplication;
  infra: Infrastructure;
  /** Loopback URL of the bound port. */
  url: string;
  /** Stops consumers and the relay, closes HTTP, the pool and the log. */
  close(): Promise<void>;
}

/** Options of `startServer`. */
export interface ServerOptions extends HostOptions {
  /** @default the environment (`loadConfig()`) over `defaults` */
  config?: StreamfoldConfig;
  /**
   * Settings by their variable names that this application uses unless the environment sets them,
   * e.g. `{ HTTP_ADAPTER: 'fastify' }`; ignored when `config` is given. @default {}
   */
  defaults?: Readonly<Record<string, string>>;
  /** Nest and request logs. @default true */
  logger?: boolean;
  /** Pending migrations: apply, check (refuse to start) or skip. @default apply on embedded or MIGRATE_ON_START=true, else check */
  schema?: 'apply' | 'check' | 'skip';
  /** OpenAPI document title. @default 'Streamfold' */
  title?: string;
  /** Lake settings that win over LAKE_* (tests point `dir` at a temporary folder). @default the environment */
  lake?: Partial<LakeConfig>;
  /** Where pino lines go besides `app_logs` (a benchmark or test may silence stdout and still ship). @default process.stdout */
  logDestination?: DestinationStream;
}

/**
 * Serves an application module whose imports register bounded contexts with
 * `StreamfoldModule.forFeature`: finds them, opens the infrastructure they need (migrations,
 * topics), hosts them with the framework's services, and starts HTTP, projections, relay and
 * reactions and the lake sink per PROCESS_ROLES.
 */
export async function startServer(appModule: Type<unknown> | DynamicModule, options: ServerOptions = {}): Promise<Server> {
  const config = options.config ?? readConfig(options.defaults);
  const contexts = collectContexts(appModule);
  const lake = lakeSetup(config, contexts, options.lake);
  const infra = await startInfrastructure(config, contexts, { schema: options.schema, host: options });
  // Owned here, not by Nest: it must outlive app.close() to flush the lines logged while stopping.
  const shipping = new TelemetryShipping(infra.log, config, { stdout: options.logDestination });
  try {
    @Module({ imports: [StreamfoldHostModule.forRoot(infra, contexts, lake, shipping), appModule, StreamfoldIngestModule] })
    class StreamfoldRoot {}
    const app = await createHttpApp(StreamfoldRoot, config.httpAdapter, (created) => created.get(MetricsService).registry, {
      bufferLogs: true,
      abortOnError: false,
      logger: options.logger === false ? false : undefined,
    });
    if (options.logger !== false) app.useLogger(app.get(Logger));
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationExceptionFactory }));
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, contexts, { title: options.title }));
    if (config.workers) {
      // Its own application config: its global filter must not reach the HTTP routes.
      connectReactions(app, new ReactionsTransport(infra.log, infra.database));
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
