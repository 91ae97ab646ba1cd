import { EventEnvelope, fromWire, toWire } from '@streamfold/core';
import { telemetryMessage } from './telemetry-producer';

/** What telemetryMessage must equal: toWire of the envelope it stands for. */
function expected(key: string, type: string, data: unknown, occurredAt: Date | string, eventId: string, recordedAt: string) {
  const envelope: EventEnvelope = {
    eventId,
    type,
    schemaVersion: 1,
    streamId: key,
    streamPosition: null,
    globalPosition: null,
    occurredAt: new Date(occurredAt).toISOString(),
    recordedAt,
    correlationId: null,
    causationId: null,
    actor: null,
    data,
  };
  return toWire(envelope, key, null);
}

describe('telemetryMessage', () => {
  const cases: Array<[string, string, unknown, Date | string]> = [
    ['user-1', 'movieflix.ShowPositionRecorded', { userId: 'user-1', showId: 's', positionSec: 12 }, new Date('2026-12-04T10:00:00.123Z')],
    ['quote " back\\slash \n ü 😀 \ud800', 'type "with" quotes', { nested: [1, null, 'x\u2028y'], at: new Date(0) }, '2026-12-04T10:00:00+02:00'],
    ['k', 't', undefined, new Date(1)],
    ['k', 't', () => 1, new Date(2)],
    ['k', 't', null, new Date(-1)],
    ['k', 't', 'text', '+010000-01-01T00:00:00.000Z'],
    ['k', 't', { toJSON: (field: string) => `called for ${field}` }, new Date(3)],
  ];

  it.each(cases)('is what toWire makes of the same envelope (key %j)', (key, type, data, occurredAt) => {
    const message = telemetryMessage(key, type, data, occurredAt);
    const { eventId, recordedAt } = JSON.parse(String(message.value)) as EventEnvelope;
    expect(message).toEqual(expected(key, type, data, occurredAt, eventId, recordedAt));
    expect(message.value).toBe(expected(key, type, data, occurredAt, eventId, recordedAt).value);
    expect(fromWire(String(message.value)).envelope.streamId).toBe(key);
  });

  it('gives each message its own id and the time it was made', () => {
    const before = Date.now();
    const [a, b] = [telemetryMessage('k', 't', 1, new Date(5)), telemetryMessage('k', 't', 1, new Date(5))];
    const [ea, eb] = [a, b].map((m) => JSON.parse(String(m.value)) as EventEnvelope);
    expect(ea.eventId).not.toBe(eb.eventId);
    expect(a.headers?.['sf-event-id']).toBe(ea.eventId);
    expect(Date.parse(eb.recordedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(eb.recordedAt)).toBeLessThanOrEqual(Date.now());
    expect([a.timestamp, b.timestamp]).toEqual([5, 5]);
  });

  it('refuses a time that is not one', () => {
    expect(() => telemetryMessage('k', 't', 1, 'yesterday')).toThrow('occurredAt is not a valid time: yesterday');
    expect(() => telemetryMessage('k', 't', 1, new Date(NaN))).toThrow(TypeError);
  });
});
