import { APP_LOGS_TOPIC, AppTelemetryType, LogRecordedData, levelName, LogsDroppedData } from './app-telemetry';

/** What the shipper needs of a producer: a publish that refuses instead of waiting (TelemetryProducer.tryPublish). */
export interface NonBlockingPublisher {
  tryPublish(topic: string, key: string, type: string, data: unknown, occurredAt?: Date | string): boolean;
}

/** Who ships and what it tells about drops. */
export interface LogShipperOptions {
  service: string;
  /** Tells apart processes of one service (host, pid, start). */
  instance: string;
  /** Called once per refused line (a prom counter's inc). @default nothing */
  onDropped?: () => void;
  /** Where the one-line "dropped N lines" report goes besides app_logs. @default stdout, as a pino-shaped JSON line */
  say?: (line: string) => void;
  /** How often a pending drop report is retried when no line arrives to carry it. @default 1000 */
  reportEveryMs?: number;
}

const OWN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * A pino destination (`pino.multistream([{ stream: process.stdout }, { stream: shipper }])`) that
 * turns each line into a `streamfold.LogRecorded` event on `app_logs`, keyed by service. It never
 * waits: when the producer's buffer is full (Kafka away or slow) the line is refused and counted,
 * so a request never waits on logging. Refused lines are counted exactly and reported, once the
 * buffer has room again, as one `streamfold.LogsDropped` event plus one line on stdout.
 */
export class LogShipper {
  private pendingDropped = 0;
  private droppedTotal = 0;
  private shippedTotal = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly producer: NonBlockingPublisher, private readonly options: LogShipperOptions) {
    this.timer = setInterval(() => this.reportDropped(), options.reportEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Lines refused since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Lines handed to the producer since start. */
  get shipped(): number {
    return this.shippedTotal;
  }

  /** pino's destination contract: one serialized line (or several, newline-separated) per call. */
  write(chunk: string): boolean {
    if (this.closed) return true;
    for (const line of chunk.split('\n')) if (line.length > 0) this.ship(line);
    return true;
  }

  /** Ships one JSON line (pino's shape: level, time, msg and fields); the line's own time is its event time. */
  ship(line: string | Record<string, unknown>): boolean {
    const parsed = typeof line === 'string' ? parseLogLine(line) : line;
    const { data, at } = logRecordedFrom(parsed, this.options.service, this.options.instance);
    this.reportDropped();
    if (this.producer.tryPublish(APP_LOGS_TOPIC.name, this.options.service, AppTelemetryType.LogRecorded, data, at)) {
      this.shippedTotal++;
      return true;
    }
    this.pendingDropped++;
    this.droppedTotal++;
    this.options.onDropped?.();
    return false;
  }

  /** Sends the pending drop report if the buffer takes it now; keeps it pending otherwise. */
  reportDropped(): void {
    if (this.pendingDropped === 0) return;
    const { service, instance } = this.options;
    const data: LogsDroppedData = { service, instance, count: this.pendingDropped, total: this.droppedTotal };
    if (!this.producer.tryPublish(APP_LOGS_TOPIC.name, service, AppTelemetryType.LogsDropped, data, new Date())) return;
    this.pendingDropped = 0;
    // Straight to stdout, not through pino: this shipper is one of pino's destinations.
    const say = this.options.say ?? ((l: string) => process.stdout.write(l + '\n'));
    say(JSON.stringify({ level: 40, time: Date.now(), msg: `LogsDropped: ${data.count} log lines dropped while the buffer was full (${data.total} since start)`, ...data }));
  }

  /**
   * Reports pending drops and stops taking lines. Sending what was handed over is the producer's
   * owner's job (its close() is bounded by a timeout; a flush here would wait for Kafka forever).
   */
  close(): void {
    this.reportDropped();
    this.closed = true;
    clearInterval(this.timer);
  }
}

/**
 * A pino-shaped object as a LogRecorded payload and its event time (the line's own `time`, epoch
 * ms or ISO; now when absent or invalid). Also used by `POST /ingest/logs` for other services' lines.
 */
export function logRecordedFrom(parsed: Record<string, unknown>, service: string, instance: string): { data: LogRecordedData; at: Date } {
  const time = typeof parsed.time === 'number' || typeof parsed.time === 'string' ? new Date(parsed.time) : new Date();
  const at = Number.isNaN(time.getTime()) ? new Date() : time;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (!OWN_FIELDS.has(k)) fields[k] = v;
  return { data: { service, instance, level: toLevel(parsed.level), msg: String(parsed.msg ?? ''), fields }, at };
}

/** One JSON line as an object; a line that is not a JSON object is kept whole as the message. */
export function parseLogLine(line: string): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { msg: line };
  } catch {
    // Not pino's JSON (a plain text line from another writer): kept whole as the message.
    return { msg: line };
  }
}

/** A pino level (number, or name) as a level name; anything else is info. */
export function toLevel(level: unknown): LogRecordedData['level'] {
  if (typeof level === 'number') return levelName(level);
  if (typeof level === 'string' && ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level)) return level as LogRecordedData['level'];
  return 'info';
}
