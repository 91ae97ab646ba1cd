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
  return (req: TimedRequest, res: TimedResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      histogram.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (res.statusCode < 300 && !READS.has(req.method)) stages.observe('acknowledged', seconds);
    });
    next();
  };
}
