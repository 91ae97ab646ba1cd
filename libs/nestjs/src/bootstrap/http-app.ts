import type { DynamicModule, INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpAdapterName } from '@streamfold/runtime';
import type { Registry } from 'prom-client';
import { INGEST_MAX_BYTES } from '../lake/ingest.controller';
import { httpMetrics, httpMetricsHooks } from '../runtime/http-metrics';

/** How long an idle keep-alive connection stays open. */
export const KEEP_ALIVE_MS = 65_000;
/** Largest body of every route outside /ingest/ (commands are small). */
export const COMMAND_BODY_BYTES = 64 * 1024;

/**
 * The Nest application on the adapter HTTP_ADAPTER names, with what the host needs on either: a
 * request metric on every route (registered before any route), bodies up to 64 kB except under
 * /ingest/ (INGEST_MAX_BYTES), and idle keep-alive connections that stay open longer than a load
 * balancer's idle timeout (60 s on common ones) and a client pool's: when the server closes first
 * (Node's default is 5 s), a request sent on the closing socket fails with ECONNRESET (3 of 6,000
 * likes in a bench run).
 */
export async function createHttpApp(root: Type<unknown> | DynamicModule, adapter: HttpAdapterName, metrics: (app: INestApplication) => Registry, options: NestApplicationOptions): Promise<INestApplication> {
  if (adapter === 'fastify') return createFastifyApp(root, metrics, options);
  const app = await NestFactory.create<NestExpressApplication>(root, options);
  app.use(httpMetrics(metrics(app)));
  // Ingestion batches are larger than commands: their parsers run first, the 64 kB one then skips
  // the parsed body. JSON lines (log ingestion) are text. body-parser's errors (413, 415) carry
  // their status and reach the host's filter, which answers them in the ApiError shape.
  app.useBodyParser('json', { limit: INGEST_MAX_BYTES, type: (req) => isIngest(req, JSON_TYPE) });
  app.useBodyParser('text', { limit: INGEST_MAX_BYTES, type: (req) => isIngest(req, TEXT_TYPE) });
  app.useBodyParser('json', { limit: COMMAND_BODY_BYTES });
  const http = app.getHttpServer();
  http.keepAliveTimeout = KEEP_ALIVE_MS;
  http.headersTimeout = KEEP_ALIVE_MS + 1000;
  return app;
}

const JSON_TYPE = /^application\/(.+\+)?json/i;
/** JSON lines and plain text: what log shippers send to /ingest/logs. */
const TEXT_TYPE = /^(application\/x-ndjson|text\/plain)/i;

function isIngest(req: { url?: string; headers: Record<string, string | string[] | undefined> }, type: RegExp): boolean {
  return (req.url ?? '').startsWith('/ingest/') && type.test(String(req.headers['content-type'] ?? ''));
}

/** The parts of Fastify this module uses (typed here: the package is an optional peer). */
interface FastifyInstance {
  addHook(name: 'onRoute', hook: (route: { url: string; bodyLimit?: number }) => void): unknown;
  addContentTypeParser(type: string | RegExp, options: { parseAs: 'string' }, parse: (request: unknown, body: string, done: (error: Error | null, value?: unknown) => void) => void): unknown;
  hasContentTypeParser(type: string | RegExp): boolean;
  removeContentTypeParser(type: string): unknown;
  getDefaultJsonParser(onProtoPoisoning: 'error', onConstructorPoisoning: 'error'): (request: unknown, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => void;
}

async function createFastifyApp(root: Type<unknown> | DynamicModule, metrics: (app: INestApplication) => Registry, options: NestApplicationOptions): Promise<INestApplication> {
  let platform: typeof import('@nestjs/platform-fastify');
  try {
    platform = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  } catch {
    throw new Error('HTTP_ADAPTER=fastify needs the packages @nestjs/platform-fastify, @as-integrations/fastify and @fastify/static (npm install them beside @streamfold/nestjs)');
  }
  const adapter = new platform.FastifyAdapter({
    keepAliveTimeout: KEEP_ALIVE_MS,
    bodyLimit: INGEST_MAX_BYTES,
    // As Express: a trailing slash names the same route, and a path parameter of any length reaches
    // its pipe (which answers 400), where Fastify's default would answer 404 above 100 characters.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
  });
  const app = await NestFactory.create<import('@nestjs/platform-fastify').NestFastifyApplication>(root, adapter, options);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance & Parameters<typeof httpMetricsHooks>[0];
  httpMetricsHooks(fastify, metrics(app));
  // Each route's body limit, as Express's two parsers: ingestion batches (/ingest/) up to INGEST_MAX_BYTES, everything else 64 kB.
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= route.url.startsWith('/ingest/') ? INGEST_MAX_BYTES : COMMAND_BODY_BYTES;
  });
  // JSON as Express's body parser reads it: an empty body is `{}` (so a command without a body
  // still meets the bearer guard, 401, not a parse error), `+json` types too; Fastify's own parser
  // (prototype-poisoning checks included) does the parsing. Registered through Nest's
  // useBodyParser, so Nest does not put its own JSON parser over it at init.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  app.useBodyParser(/^application\/(.+\+)?json$/i, {}, (request, body, done) => (body.length === 0 ? done(null, {}) : parseJson(request, body, done)));
  // JSON lines (log ingestion) are text, as Fastify already reads text/plain; a route's own limit
  // (above) bounds both.
  if (!fastify.hasContentTypeParser('application/x-ndjson')) fastify.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  return app;
}
