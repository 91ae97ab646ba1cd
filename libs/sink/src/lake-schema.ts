/**
 * Typed columns for event data. Every row keeps its payload as JSON in `data`; an event type may
 * also declare a few top-level fields as typed columns so analytics can filter and aggregate
 * without JSON functions. Kept deliberately small: top-level fields, scalar DuckDB types.
 *
 * @example { 'post.liked': { post_id: 'VARCHAR', weight: 'INTEGER' } } reads data.post_id, data.weight
 */
export type LakeColumns = Record<string, LakeColumnType>;

/** DuckDB types a declared column may have (values that do not cast become NULL). */
export type LakeColumnType = 'VARCHAR' | 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'DATE' | 'TIMESTAMP' | `DECIMAL(${number},${number})`;

/** Declared columns per event type (the wire name). */
export type LakeSchemas = Record<string, LakeColumns>;

/** Columns every lake file has, in this order, before the declared ones. */
export const ENVELOPE_COLUMNS = [
  'event_id', 'type', 'schema_version', 'stream_id', 'stream_position', 'global_position', 'occurred_at', 'recorded_at',
  'correlation_id', 'causation_id', 'actor', 'data', 'kafka_partition', 'kafka_offset', 'kafka_key', 'sf_seq',
] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPE = /^(VARCHAR|BOOLEAN|INTEGER|BIGINT|DOUBLE|DATE|TIMESTAMP|DECIMAL\(\d{1,2},\d{1,2}\))$/;
/** Names the Hive layout adds as columns when reading; a file column of that name would clash. */
const RESERVED = new Set<string>([...ENVELOPE_COLUMNS, 'topic', 'date', 'hour']);

/** A declared lake column with an invalid or reserved name, a type outside LakeColumnType, or two types for one column: refused at boot. */
export class InvalidLakeSchema extends Error {
  override name = 'InvalidLakeSchema';
}

/**
 * Validates at boot (names and types end up in SQL) and merges the event types' columns into one
 * list per sink: a column two types declare must have one type, or queries could not union files.
 */
export function declaredColumns(schemas: LakeSchemas = {}): Array<{ column: string; type: string; eventTypes: string[] }> {
  const byColumn = new Map<string, { column: string; type: string; eventTypes: string[] }>();
  for (const [eventType, columns] of Object.entries(schemas)) {
    for (const [column, type] of Object.entries(columns)) {
      if (!NAME.test(column)) throw new InvalidLakeSchema(`${eventType}: column "${column}" must match ${NAME}`);
      if (RESERVED.has(column.toLowerCase())) throw new InvalidLakeSchema(`${eventType}: column "${column}" is reserved for the envelope or the layout`);
      if (!TYPE.test(type)) throw new InvalidLakeSchema(`${eventType}.${column}: type "${type}" is not one of ${TYPE}`);
      const seen = byColumn.get(column);
      if (seen && seen.type !== type) throw new InvalidLakeSchema(`column "${column}" is ${seen.type} for ${seen.eventTypes.join(', ')} but ${type} for ${eventType}`);
      if (seen) seen.eventTypes.push(eventType);
      else byColumn.set(column, { column, type, eventTypes: [eventType] });
    }
  }
  return [...byColumn.values()];
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The SELECT list that turns staged rows (see staging.ts: p, o, k, q, ts, e = the raw envelope)
 * into lake columns. Event time comes from `ts`, the instant the sink already used to pick the hour
 * folder, so a file's rows and its folder can never disagree.
 */
export function lakeSelectList(schemas: LakeSchemas = {}): string {
  const typed = declaredColumns(schemas).map(({ column, type, eventTypes }) => {
    const types = eventTypes.map(sqlString).join(', ');
    return `CASE WHEN e.type IN (${types}) THEN TRY_CAST(json_extract_string(e.data, ${sqlString('$.' + column)}) AS ${type}) END AS ${column}`;
  });
  return [
    'e.eventId AS event_id', 'e.type AS type', 'e.schemaVersion AS schema_version', 'e.streamId AS stream_id',
    'e.streamPosition AS stream_position', 'e.globalPosition AS global_position', 'epoch_ms(ts) AS occurred_at',
    'TRY_CAST(e.recordedAt AS TIMESTAMP) AS recorded_at', 'e.correlationId AS correlation_id', 'e.causationId AS causation_id',
    'e.actor AS actor', 'e.data AS data', 'p AS kafka_partition', 'o AS kafka_offset', 'k AS kafka_key', 'q AS sf_seq',
    ...typed,
  ].join(', ');
}

/** read_json's column spec for staged JSON lines (backfill; the sink reads rows through its row source, see write-worker.js). */
export const STAGED_COLUMNS =
  "{p: 'INTEGER', o: 'BIGINT', k: 'VARCHAR', q: 'VARCHAR', ts: 'BIGINT', e: 'STRUCT(eventId VARCHAR, type VARCHAR, schemaVersion INTEGER, " +
  "streamId VARCHAR, streamPosition BIGINT, globalPosition VARCHAR, occurredAt VARCHAR, recordedAt VARCHAR, correlationId VARCHAR, causationId VARCHAR, actor VARCHAR, data JSON)'}";

/** json_transform's structure for an envelope of the sink's row source (see write-worker.js). */
export const ENVELOPE_STRUCTURE = JSON.stringify({
  eventId: 'VARCHAR', type: 'VARCHAR', schemaVersion: 'INTEGER', streamId: 'VARCHAR', streamPosition: 'BIGINT', globalPosition: 'VARCHAR',
  occurredAt: 'VARCHAR', recordedAt: 'VARCHAR', correlationId: 'VARCHAR', causationId: 'VARCHAR', actor: 'VARCHAR', data: 'JSON',
});

/**
 * Staged rows that the fast path may not write as they are: not an envelope, or an event time
 * that differs from the Kafka timestamp the hour folder was chosen by.
 */
export const UNFIT_STAGED_ROWS =
  'e.eventId IS NULL OR e.type IS NULL OR e.streamId IS NULL OR TRY_CAST(e.occurredAt AS TIMESTAMP) IS DISTINCT FROM epoch_ms(ts)';

/**
 * Collects the `lakeSchema` that event type definitions may carry beside their validator, e.g.
 * `{ type: 'social.PostLiked', validate, lakeSchema: { postId: 'VARCHAR' } }`, so a context
 * declares its lake columns where it declares its events.
 */
export function lakeSchemasOf(definitions: Array<{ type: string; lakeSchema?: LakeColumns }>): LakeSchemas {
  const out: LakeSchemas = {};
  for (const d of definitions) if (d.lakeSchema) out[d.type] = d.lakeSchema;
  declaredColumns(out);
  return out;
}
