import type { PayloadValidator } from '@streamfold/core';
import type { TelemetryProducer } from '@streamfold/eventstore';

/** One ingestible stream: where its records go and what a valid record is. */
export interface IngestStream {
  topic: string;
  /** Event type (wire name) each record becomes. */
  type: string;
  /** Reasons a record is invalid (empty when valid): the stream's schema. */
  validate: PayloadValidator;
  /** Partitioning key of a (valid) record, e.g. its device or user id. */
  key(record: Record<string, unknown>): string;
  /** Event time of a record. @default the record's `occurredAt` when it is a valid time, else now */
  occurredAt?(record: Record<string, unknown>): Date | string;
}

export interface IngestorOptions {
  producer: TelemetryProducer;
  /** Streams by the URL's `:stream`. */
  streams: Record<string, IngestStream>;
  /** Records per request at most (more is a 413). @default 1000 */
  maxRecords?: number;
  /** Request body size at most (the host's body parser should use the same limit). @default 1 MiB */
  maxBytes?: number;
  /** Records the producer may hold before requests are turned away with 429. @default 8000 */
  maxBuffered?: number;
  /** Longest wait for Kafka's acknowledgement before answering 503. @default 10000 */
  ackTimeoutMs?: number;
  /** Retry-After for 429 and 503, in seconds. @default 1 */
  retryAfterSeconds?: number;
}

/** What `POST /ingest/:stream` answers: map `status` to the HTTP status, `retryAfterSeconds` to Retry-After. */
export type IngestOutcome =
  | { status: 202; accepted: number }
  | { status: 400; errors: Array<{ index: number; problems: string[] }> }
  | { status: 404; error: string }
  | { status: 413; error: string }
  | { status: 429 | 503; error: string; retryAfterSeconds: number };

/**
 * The transport-free core of the ingestion endpoint: validates a batch of JSON records against
 * its stream's schema, refuses it whole when the producer is saturated (429) so memory stays
 * bounded, publishes through the TelemetryProducer and answers 202 only after the log
 * acknowledged every record (acks=all on Kafka). A 503 after a timeout does not withdraw what is
 * queued: the records may still land, so a client that retries can duplicate them (each gets a
 * fresh event id); clients that need exactly-once send their own ids in the record.
 */
export class Ingestor {
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly maxBuffered: number;
  private readonly retryAfterSeconds: number;

  constructor(private readonly options: IngestorOptions) {
    this.maxRecords = options.maxRecords ?? 1000;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.maxBuffered = options.maxBuffered ?? 8000;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** @param bodyBytes the request body's size, when the host knows it (Content-Length) */
  async ingest(stream: string, body: unknown, bodyBytes?: number): Promise<IngestOutcome> {
    const spec = this.options.streams[stream];
    if (!spec) return { status: 404, error: `no ingestion stream "${stream}"` };
    if (bodyBytes !== undefined && bodyBytes > this.maxBytes) return { status: 413, error: `body over ${this.maxBytes} bytes` };
    const records = Array.isArray(body) ? body : (body as { records?: unknown })?.records;
    if (!Array.isArray(records) || records.length === 0) return { status: 400, errors: [{ index: -1, problems: ['body must be a non-empty JSON array of records (or { records: [...] })'] }] };
    if (records.length > this.maxRecords) return { status: 413, error: `${records.length} records, at most ${this.maxRecords} per request` };
    const errors = records.flatMap((record, index) => {
      const problems = record && typeof record === 'object' && !Array.isArray(record) ? [...spec.validate(record), ...timeProblems(record)] : ['a record must be a JSON object'];
      return problems.length > 0 ? [{ index, problems }] : [];
    });
    if (errors.length > 0) return { status: 400, errors };
    const { producer } = this.options;
    if (producer.buffered + records.length > this.maxBuffered) {
      return { status: 429, error: 'ingestion is saturated: retry later', retryAfterSeconds: this.retryAfterSeconds };
    }
    for (const record of records as Array<Record<string, unknown>>) {
      await producer.publish(spec.topic, spec.key(record), spec.type, record, spec.occurredAt?.(record) ?? eventTime(record));
    }
    const acked = await Promise.race([producer.flush().then(() => true), delay(this.options.ackTimeoutMs ?? 10_000).then(() => false)]);
    if (!acked) return { status: 503, error: 'the log did not acknowledge in time', retryAfterSeconds: this.retryAfterSeconds };
    return { status: 202, accepted: records.length };
  }
}

/** Kafka refuses timestamps far ahead of its clock (an hour by default): refuse them here, as a 400. */
function timeProblems(record: Record<string, unknown>): string[] {
  if (record.occurredAt === undefined) return [];
  const at = typeof record.occurredAt === 'string' ? Date.parse(record.occurredAt) : NaN;
  if (!Number.isFinite(at)) return ['occurredAt must be an ISO 8601 time'];
  return at > Date.now() + MAX_FUTURE_MS ? ['occurredAt is in the future'] : [];
}

const MAX_FUTURE_MS = 5 * 60_000;

function eventTime(record: Record<string, unknown>): Date {
  const at = typeof record.occurredAt === 'string' ? Date.parse(record.occurredAt) : NaN;
  return Number.isFinite(at) ? new Date(at) : new Date();
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
