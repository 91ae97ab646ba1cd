import { ValidationFailed } from '@streamfold/core';
import type { Database } from '@streamfold/runtime';

/** The pool or an open transaction: anything that runs a parameterised query. */
type Queryable = Pick<Database, 'query'>;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** Most lines one search returns; `total` still counts every match. */
export const MAX_LOG_LIMIT = 1000;

/** Filters of `GET /ops/logs` and `cli ops logs`, already validated. */
export interface LogFilters {
  service?: string;
  /** One level or a comma-separated list. */
  levels?: string[];
  since?: Date;
  until?: Date;
  /** Words that must all appear in the message (the `simple` text configuration: no stemming). */
  q?: string;
  /** @default 100 */
  limit: number;
}

export interface LogLine {
  at: string;
  service: string;
  instance: string;
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** The newest matching lines first, and how many lines match in all. */
export interface LogSearchResult {
  total: number;
  logs: LogLine[];
}

const time = (field: string, raw: string | undefined): Date | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const at = new Date(/^\d+$/.test(raw) ? Number(raw) : raw);
  if (Number.isNaN(at.getTime())) throw new ValidationFailed(field, `must be an ISO time or epoch milliseconds, got "${raw}"`);
  return at;
};

/** Validates raw filters (query string or CLI options) into LogFilters; bad input is a ValidationFailed (400). */
export function parseLogFilters(raw: { service?: string; level?: string; since?: string; until?: string; q?: string; limit?: string | number }): LogFilters {
  const levels = raw.level ? raw.level.split(',').map((l) => l.trim()) : undefined;
  const unknown = levels?.filter((l) => !LEVELS.includes(l)) ?? [];
  if (unknown.length > 0) throw new ValidationFailed('level', `must be among ${LEVELS.join(', ')}, got "${unknown.join(',')}"`);
  const limit = raw.limit === undefined || raw.limit === '' ? 100 : Number(raw.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LIMIT) throw new ValidationFailed('limit', `must be an integer from 1 to ${MAX_LOG_LIMIT}`);
  if (raw.q !== undefined && raw.q.length > 200) throw new ValidationFailed('q', 'must be at most 200 characters');
  const filters: LogFilters = { service: raw.service || undefined, levels, since: time('since', raw.since), until: time('until', raw.until), q: raw.q?.trim() || undefined, limit };
  if (filters.since && filters.until && filters.since > filters.until) throw new ValidationFailed('since', 'must not be after until');
  return filters;
}

/** Searches the recent-lines read model (`ops_logs`); `since` inclusive, `until` exclusive. */
export async function searchLogs(sql: Queryable, f: LogFilters): Promise<LogSearchResult> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (f.service) add((p) => `service = ${p}`, f.service);
  if (f.levels) add((p) => `level = ANY(${p}::text[])`, f.levels);
  if (f.since) add((p) => `at >= ${p}`, f.since.toISOString());
  if (f.until) add((p) => `at < ${p}`, f.until.toISOString());
  // The same expression as the GIN index, so the planner can use it.
  if (f.q) add((p) => `to_tsvector('simple', msg) @@ plainto_tsquery('simple', ${p})`, f.q);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const total = await sql.query(`SELECT count(*)::int AS n FROM ops_logs ${clause}`, params);
  const { rows } = await sql.query(
    `SELECT at, service, instance, level, msg, fields FROM ops_logs ${clause} ORDER BY at DESC, event_id LIMIT ${f.limit}`,
    params,
  );
  return {
    total: total.rows[0].n,
    logs: rows.map((r) => ({ at: new Date(r.at).toISOString(), service: r.service, instance: r.instance, level: r.level, msg: r.msg, fields: r.fields })),
  };
}
