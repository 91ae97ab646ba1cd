import type { ServiceOverview } from './service-overview.query';

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
const num = (n: number) => (n === Infinity ? '+Inf' : String(n));

/**
 * The aggregated view in Prometheus' text format (0.0.4), one series per service: counters and a
 * histogram merged over every instance, so Prometheus (or Grafana) can rate them and run
 * `histogram_quantile` over all instances at once; gauges for the ops context's own five-minute
 * ratio and percentiles.
 */
export function renderPrometheus(services: readonly ServiceOverview[]): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  family('streamfold_ops_log_lines_total', 'counter', 'Log lines shipped to app_logs, per service and level', services.flatMap((s) =>
    Object.entries(s.linesTotal).map(([level, n]) => `streamfold_ops_log_lines_total${labels({ service: s.service, level })} ${n}`)));
  family('streamfold_ops_log_lines_dropped_total', 'counter', 'Log lines services reported dropped while Kafka was away', services.map((s) =>
    `streamfold_ops_log_lines_dropped_total${labels({ service: s.service })} ${s.droppedTotal}`));
  family('streamfold_ops_error_ratio_5m', 'gauge', 'Error and fatal lines over all lines in the last five minutes of event time', services.filter((s) => s.errorRatio5m !== null).map((s) =>
    `streamfold_ops_error_ratio_5m${labels({ service: s.service })} ${s.errorRatio5m}`));
  family('streamfold_ops_requests_per_second', 'gauge', 'Requests per second in the newest minute, all instances', services.filter((s) => s.requestRate !== null).map((s) =>
    `streamfold_ops_requests_per_second${labels({ service: s.service })} ${s.requestRate}`));
  family('streamfold_ops_request_duration_quantile_seconds', 'gauge', 'Latency percentiles over five minutes, from buckets merged over instances', services.flatMap((s) =>
    (['p50', 'p90', 'p99'] as const).filter((p) => s.latency[p] !== null).map((p) =>
      `streamfold_ops_request_duration_quantile_seconds${labels({ service: s.service, quantile: `0.${p.slice(1)}` })} ${s.latency[p]}`)));
  family('streamfold_ops_request_duration_seconds', 'histogram', 'HTTP request duration, merged over every instance of the service', services.filter((s) => s.requestsTotal.count > 0).flatMap((s) => {
    const les = Object.keys(s.requestsTotal.buckets).sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
    return [
      ...les.map((le) => `streamfold_ops_request_duration_seconds_bucket${labels({ service: s.service, le: num(le === '+Inf' ? Infinity : Number(le)) })} ${s.requestsTotal.buckets[le]}`),
      `streamfold_ops_request_duration_seconds_sum${labels({ service: s.service })} ${s.requestsTotal.sum}`,
      `streamfold_ops_request_duration_seconds_count${labels({ service: s.service })} ${s.requestsTotal.count}`,
    ];
  }));
  return out.join('\n') + '\n';
}
