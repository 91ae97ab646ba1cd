import type { TelemetryPublisher } from '@streamfold/nestjs';
import { ValidationFailed } from '@streamfold/core';
import { ReportPositions, ReportPositionsHandler } from './report-positions.command';

/** A publisher whose buffer has room for `room` more messages, recording what it took. */
function publisher(room: number) {
  const taken: Array<{ topic: string; key: string; type: string; data: unknown; at: unknown }> = [];
  const fake = { tryPublish: (topic: string, key: string, type: string, data: unknown, at: unknown) => (taken.length < room ? (taken.push({ topic, key, type, data, at }), true) : false) };
  return { taken, telemetry: fake as unknown as TelemetryPublisher };
}

const fix = (i: number) => ({ lat: 48.85, lng: 2.35 + i / 1000, at: `2026-03-02T08:00:0${i}.000Z` });

describe('reporting positions', () => {
  it('sends a driver\'s fixes to taxi_position keyed by the driver, with the device time as event time', async () => {
    const { taken, telemetry } = publisher(10);
    const answer = await new ReportPositionsHandler(telemetry).execute(new ReportPositions('driver', 'd1', [fix(1), { ...fix(2), available: false }]));
    expect(answer).toEqual({ accepted: 2, total: 2 });
    expect(taken).toEqual([
      { topic: 'taxi_position', key: 'd1', type: 'taxi.TaxiPositionReported', data: { taxiId: 'd1', lat: 48.85, lng: 2.351, available: true }, at: fix(1).at },
      { topic: 'taxi_position', key: 'd1', type: 'taxi.TaxiPositionReported', data: { taxiId: 'd1', lat: 48.85, lng: 2.352, available: false }, at: fix(2).at },
    ]);
  });

  it('stops at the first refusal under back-pressure and says how many were taken, in order', async () => {
    const { taken, telemetry } = publisher(3);
    const answer = await new ReportPositionsHandler(telemetry).execute(new ReportPositions('rider', 'u1', [1, 2, 3, 4, 5].map(fix)));
    expect(answer).toEqual({ accepted: 3, total: 5 });
    expect(taken.map((t) => [t.topic, t.key, t.at])).toEqual([1, 2, 3].map((i) => ['user_position', 'u1', fix(i).at]));
  });

  it('refuses a batch with a fix more than a minute in the future, publishing nothing', async () => {
    const { taken, telemetry } = publisher(10);
    const now = Date.parse('2026-03-02T08:00:00.000Z');
    const ahead = { lat: 48.85, lng: 2.35, at: '2026-03-02T08:01:01.000Z' };
    await expect(new ReportPositionsHandler(telemetry).execute(new ReportPositions('driver', 'd1', [fix(1), ahead]), now)).rejects.toThrow(ValidationFailed);
    expect(taken).toEqual([]);
  });
});
