import { PayloadTooLargeException } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailed } from '@streamfold/core';
import { APP_LOGS_TOPIC, AppTelemetryType, logRecordedFrom, parseLogLine } from '@streamfold/eventstore';
import { TelemetryPublisher } from '@streamfold/nestjs';

/** Most lines one request may carry; more is a 413 (send several batches). */
export const MAX_INGEST_LINES = 5000;

/** JSON lines from another service: each a pino-shaped object with `service`, `level`, `msg` and optionally `time`. */
export class IngestLogs {
  constructor(readonly body: string, readonly callerId: string) {}
}

/** Accepted whole, or refused whole because the buffer has no room for the batch now (retry after a pause). */
export type IngestResult = { kind: 'accepted'; accepted: number } | { kind: 'busy'; retryAfterSeconds: number };

const SERVICE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Puts other services' log lines on `app_logs` exactly as the framework ships its own, through the
 * process's telemetry producer. A batch is validated completely first, then enqueued only if all
 * of it fits: a half-accepted batch would leave the sender unsure what to resend.
 */
@CommandHandler(IngestLogs)
export class IngestLogsHandler implements ICommandHandler<IngestLogs, IngestResult> {
  constructor(private readonly telemetry: TelemetryPublisher) {}

  async execute({ body, callerId }: IngestLogs): Promise<IngestResult> {
    const lines = body.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    if (lines.length > MAX_INGEST_LINES) throw new PayloadTooLargeException(`at most ${MAX_INGEST_LINES} lines per request, got ${lines.length}`);
    if (lines.length === 0) throw new ValidationFailed('body', 'must hold at least one JSON line');
    const records = lines.map((line, i) => {
      const parsed = parseLogLine(line);
      if (typeof parsed.service !== 'string' || !SERVICE.test(parsed.service)) {
        throw new ValidationFailed(`line ${i + 1}`, 'needs "service": 1 to 64 letters, digits, ".", "_" or "-"');
      }
      if (typeof parsed.msg !== 'string') throw new ValidationFailed(`line ${i + 1}`, 'needs "msg" as a string');
      const { service, ...rest } = parsed;
      return { service, ...logRecordedFrom(rest, service, `ingest:${callerId}`) };
    });
    if (this.telemetry.room < records.length) return { kind: 'busy', retryAfterSeconds: 1 };
    for (const r of records) this.telemetry.tryPublish(APP_LOGS_TOPIC.name, r.service, AppTelemetryType.LogRecorded, r.data, r.at);
    return { kind: 'accepted', accepted: records.length };
  }
}
