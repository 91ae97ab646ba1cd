import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ContextDefinition } from '../context/context';
import { ApiError } from './api-error';
import { BEARER_SCHEME } from './openapi.decorators';

/** Options of `buildOpenApiDocument`. */
export interface OpenApiOptions {
  /** Document title. @default 'Streamfold' */
  title?: string;
  /** API version. @default '0.2.0' (the framework's) */
  version?: string;
  /** Where clients reach the API. @default [{ url: '/' }]: the origin that serves the document */
  servers?: Array<{ url: string; description: string }>;
}

/** Tags of the framework's own controllers; each context adds one tag named after itself. */
const FRAMEWORK_TAGS = [
  { name: 'admin', description: 'Operations on projections, dead letters and the lake (admin role)' },
  { name: 'ingest', description: 'Batches of records into the streams contexts declare, straight to the log and the lake' },
  { name: 'operations', description: 'Health of the process and its dependencies, for probes' },
  { name: 'dashboard', description: 'What the live dashboard at / reads: hosted contexts and a public pipeline summary' },
];

/**
 * The OpenAPI document of every hosted context plus the framework's routes: one bearer scheme
 * required by default (public routes say `security: []`), one error schema (`ApiError`), a tag per
 * context, and operation ids taken from the handler's method name unless `@ApiCommand`/`@ApiRead`
 * name one, so a generated client reads `likePost`, not `SocialController_like`.
 */
export function buildOpenApiDocument(app: INestApplication, contexts: readonly ContextDefinition[], options: OpenApiOptions = {}): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(options.title ?? 'Streamfold')
    .setDescription('Event-sourced CQRS on Kafka: commands, queries and operations. Every error answers with the `ApiError` body.')
    .setVersion(options.version ?? '0.2.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 token whose `sub` is the user id; `roles` may hold `admin`' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME);
  for (const server of options.servers ?? [{ url: '/', description: 'the origin that serves this document' }]) builder.addServer(server.url, server.description);
  for (const c of contexts) builder.addTag(c.name, c.description ?? `The ${c.name} context`);
  for (const t of FRAMEWORK_TAGS) builder.addTag(t.name, t.description);
  return SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ApiError],
    operationIdFactory: (_controller, method) => method,
  });
}
