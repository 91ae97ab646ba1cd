import { Logger } from '@nestjs/common';
import type { EventStore } from '@streamfold/eventstore';
import type { Database } from '@streamfold/runtime';
import { FareSettlerService } from './fare-settler.service';

/** The rides read model's view as a process sees it before and after the projections process created it. */
function database(missingFor: number) {
  let calls = 0;
  return {
    query: async () => {
      if (calls++ < missingFor) throw Object.assign(new Error('relation "taxi_rides_view" does not exist'), { code: '42P01' });
      return { rows: [] };
    },
  } as unknown as Database;
}

describe('FareSettlerService before the rides read model exists (roles split, projections elsewhere)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('says once that it waits, not a warning every tick, and once that it goes on', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const settler = new FareSettlerService({} as EventStore, database(5));
    for (let i = 0; i < 7; i++) expect(await settler.tick()).toBe(0);
    expect(warn).not.toHaveBeenCalled();
    expect(log.mock.calls.map(([m]) => String(m))).toEqual([
      expect.stringMatching(/^waiting for the taxi.rides read model .*taxi_rides_view/),
      'the taxi.rides read model is there: settling fares',
    ]);
  });

  it('still warns on any other failure, every tick', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const db = { query: async () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })) } as unknown as Database;
    const settler = new FareSettlerService({} as EventStore, db);
    await settler.tick();
    await settler.tick();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0][0])).toMatch(/settling fares failed .*connection refused/);
  });
});
