import { DuckDBValue } from '@duckdb/node-api';
import { LakeQueryOptions, LakeQueryResult, queryLake } from './lake-query';

/** Parameter types a named query accepts; values arrive as strings from HTTP and are converted. */
export type LakeParamType = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp';

/**
 * A query the HTTP API may run: fixed SQL with `$name` placeholders, so callers choose values,
 * never SQL. Register them at boot; names are the URL segment.
 *
 * @example { name: 'likes-per-post', sql: 'SELECT postId, count(*) AS likes FROM likes WHERE occurred_at >= $since GROUP BY 1', params: { since: 'timestamp' } }
 */
export interface LakeNamedQuery {
  name: string;
  sql: string;
  params: Record<string, LakeParamType>;
  description?: string;
}

export class UnknownLakeQuery extends Error {
  override name = 'UnknownLakeQuery';
}

/** A parameter missing, unexpected or not of its declared type (a 400 for HTTP). */
export class InvalidLakeQueryParams extends Error {
  override name = 'InvalidLakeQueryParams';
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The registry behind `POST /lake/queries/:name` (admin only): validated at construction. */
export class LakeQueryRegistry {
  private readonly queries = new Map<string, LakeNamedQuery>();

  constructor(queries: LakeNamedQuery[], private readonly defaults: Omit<LakeQueryOptions, 'params'> = {}) {
    for (const q of queries) {
      if (!NAME.test(q.name)) throw new RangeError(`lake query name "${q.name}" must match ${NAME}`);
      if (this.queries.has(q.name)) throw new RangeError(`lake query "${q.name}" is registered twice`);
      for (const p of Object.keys(q.params)) {
        if (!new RegExp(`\\$${p}\\b`).test(q.sql)) throw new RangeError(`lake query "${q.name}" declares $${p} but its SQL does not use it`);
      }
      this.queries.set(q.name, q);
    }
  }

  list(): Array<Pick<LakeNamedQuery, 'name' | 'params' | 'description'>> {
    return [...this.queries.values()].map(({ name, params, description }) => ({ name, params, description }));
  }

  /** Throws UnknownLakeQuery, InvalidLakeQueryParams, or queryLake's errors (LakeQueryTimeout). */
  run(name: string, params: Record<string, unknown>): Promise<LakeQueryResult> {
    const query = this.queries.get(name);
    if (!query) throw new UnknownLakeQuery(`no lake query named "${name}"`);
    const extra = Object.keys(params).filter((k) => !(k in query.params));
    if (extra.length > 0) throw new InvalidLakeQueryParams(`unexpected parameters: ${extra.join(', ')}`);
    const values: Record<string, DuckDBValue> = {};
    for (const [key, type] of Object.entries(query.params)) values[key] = convert(key, type, params[key]);
    return queryLake(query.sql, { ...this.defaults, params: values });
  }
}

function convert(key: string, type: LakeParamType, raw: unknown): DuckDBValue {
  if (raw === undefined || raw === null || raw === '') throw new InvalidLakeQueryParams(`parameter ${key} is required`);
  const text = String(raw);
  switch (type) {
    case 'string':
      return text;
    case 'integer':
      if (!/^-?\d{1,15}$/.test(text)) throw new InvalidLakeQueryParams(`parameter ${key} must be an integer`);
      return Number(text);
    case 'number':
      if (!Number.isFinite(Number(text))) throw new InvalidLakeQueryParams(`parameter ${key} must be a number`);
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new InvalidLakeQueryParams(`parameter ${key} must be true or false`);
      return text === 'true';
    case 'timestamp': {
      const ms = Date.parse(text);
      if (!Number.isFinite(ms)) throw new InvalidLakeQueryParams(`parameter ${key} must be an ISO 8601 time`);
      // Bound as text in UTC: the lake's occurred_at is a UTC TIMESTAMP, and DuckDB casts on compare.
      return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    }
    default: {
      const never: never = type;
      throw new InvalidLakeQueryParams(`unknown parameter type ${String(never)}`);
    }
  }
}
