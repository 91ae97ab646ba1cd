import { stageLatency } from '@streamfold/eventstore';
import { Histogram, Registry } from 'prom-client';

/** The parts of Express' request and response this middleware reads (typed here: libs/nestjs does not depend on express). */
interface TimedRequest {
  method: string;
  baseUrl?: string;
  route?: { path?: unknown };
}
interface TimedResponse {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/** Buckets from 1 ms to 10 s: the API's answers are mostly in the low milliseconds, slow ones are what percentiles are for. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Express middleware recording `streamfold_http_request_duration_seconds{method,route,status}`.
 * The route is the matched pattern (`/ops/logs`, `/social/posts/:id`), never the raw URL, so the
 * number of series stays bounded; requests no route matched share `route="unmatched"`. A write
 * answered 2xx is also the first stage of the real-time path (`streamfold_stage_latency_seconds{stage="acknowledged"}`).
 */
export function httpMetrics(registry: Registry) {
  const observe = requestObserver(registry);
  return (req: TimedRequest, res: TimedResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => observe(req.method, req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : undefined, res.statusCode, started));
    next();
  };
}

/** The parts of a Fastify instance the hooks below use (typed here: libs/nestjs does not depend on fastify). */
interface FastifyHooks {
  addHook(name: 'onRequest' | 'onResponse', hook: (request: FastifyTimedRequest, reply: { statusCode: number }, done: () => void) => void): unknown;
}
interface FastifyTimedRequest {
  method: string;
  routeOptions?: { url?: string };
  [STARTED]?: bigint;
}
const STARTED = Symbol('streamfold.httpStarted');

/** The same metric as `httpMetrics`, from Fastify's request hooks (HTTP_ADAPTER=fastify); the route is Fastify's matched pattern. */
export function httpMetricsHooks(fastify: FastifyHooks, registry: Registry): void {
  const observe = requestObserver(registry);
  fastify.addHook('onRequest', (request, _reply, done) => {
    request[STARTED] = process.hrtime.bigint();
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const started = request[STARTED];
    if (started !== undefined) observe(request.method, request.routeOptions?.url, reply.statusCode, started);
    done();
  });
}

function requestObserver(registry: Registry): (method: string, route: string | undefined, status: number, started: bigint) => void {
  const histogram =
    (registry.getSingleMetric('streamfold_http_request_duration_seconds') as Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name: 'streamfold_http_request_duration_seconds',
      help: 'HTTP request duration by method, matched route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    });
  const stages = stageLatency(registry);
  return (method, route, status, started) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    histogram.observe({ method, route: route || 'unmatched', status: String(status) }, seconds);
    if (status < 300 && !READS.has(method)) stages.observe('acknowledged', seconds);
  };
}
