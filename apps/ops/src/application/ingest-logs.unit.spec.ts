import { ValidationFailed } from '@streamfold/core';
import type { TelemetryPublisher } from '@streamfold/nestjs';
import { IngestLogs, IngestLogsHandler, MAX_INGEST_LINES } from './ingest-logs.command';

function publisher(room: number) {
  const sent: Array<{ topic: string; key: string; data: any; at: Date }> = [];
  const fake = { room, tryPublish: (topic: string, key: string, _t: string, data: unknown, at: Date) => (sent.push({ topic, key, data, at }), true) };
  return { sent, handler: new IngestLogsHandler(fake as unknown as TelemetryPublisher) };
}
const line = (o: object) => JSON.stringify(o);

describe('POST /ingest/logs', () => {
  it('puts each line on app_logs under its own service, at its own time', async () => {
    const { sent, handler } = publisher(10);
    const body = [line({ service: 'legacy-billing', level: 50, time: 1764590400000, msg: 'boom', code: 'E1' }), line({ service: 'crm', level: 'warn', msg: 'slow' })].join('\n');
    expect(await handler.execute(new IngestLogs(body, 'svc-1'))).toEqual({ kind: 'accepted', accepted: 2 });
    expect(sent[0]).toEqual({ topic: 'app_logs', key: 'legacy-billing', data: { service: 'legacy-billing', instance: 'ingest:svc-1', level: 'error', msg: 'boom', fields: { code: 'E1' } }, at: new Date(1764590400000) });
    expect(sent[1].data).toMatchObject({ service: 'crm', level: 'warn' });
  });

  it('refuses the whole batch when the buffer has no room for all of it (429, retry after a second)', async () => {
    const { sent, handler } = publisher(1);
    const body = [line({ service: 'a', msg: 'x' }), line({ service: 'a', msg: 'y' })].join('\n');
    expect(await handler.execute(new IngestLogs(body, 'svc'))).toEqual({ kind: 'busy', retryAfterSeconds: 1 });
    expect(sent).toEqual([]);
  });

  it('refuses bad lines before enqueuing any, and too many lines', async () => {
    const { sent, handler } = publisher(10);
    await expect(handler.execute(new IngestLogs([line({ service: 'a', msg: 'ok' }), line({ msg: 'no service' })].join('\n'), 's'))).rejects.toThrow(ValidationFailed);
    await expect(handler.execute(new IngestLogs('', 's'))).rejects.toThrow(/at least one JSON line/);
    await expect(handler.execute(new IngestLogs(Array(MAX_INGEST_LINES + 1).fill(line({ service: 'a', msg: 'm' })).join('\n'), 's'))).rejects.toThrow(/at most 5000 lines/);
    expect(sent).toEqual([]);
  });
});
