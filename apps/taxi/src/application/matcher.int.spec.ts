import { EventRegistry } from '@streamfold/core';
import { executeCommand, InMemoryEventStore } from '@streamfold/eventstore';
import type { Database } from '@streamfold/runtime';
import { rideDecider, rideStreamId } from '../domain/ride.decider';
import { TAXI_EVENT_TYPES } from '../domain/taxi.events';
import { MatcherService } from './matcher.service';

const PICKUP = { lat: 48.8566, lng: 2.3522 };
const NOW = Date.now();

/** The driver-location read model as the matcher queries it: two free drivers, one 100 m and one 400 m away. */
const db = {
  query: async () => ({
    rows: [
      { driver_id: 'near', lat: PICKUP.lat + 0.0009, lng: PICKUP.lng, at: new Date(NOW) },
      { driver_id: 'far', lat: PICKUP.lat + 0.0036, lng: PICKUP.lng, at: new Date(NOW) },
    ],
  }),
} as unknown as Database;

async function requestRide(store: InMemoryEventStore, rideId: string) {
  await executeCommand({
    store,
    decider: rideDecider,
    streamId: rideStreamId(rideId),
    command: { type: 'RequestRide', rideId, riderId: `rider-${rideId}`, pickup: PICKUP, dropoff: PICKUP, region: 'r', surgeTenths: 10, estimateMinor: 250 },
    context: { actor: `rider-${rideId}` },
  });
  return { rideId, riderId: `rider-${rideId}`, pickup: PICKUP, requestedAtMs: NOW };
}

describe('matcher over the event store', () => {
  it('gives two concurrent requests for the same nearest driver two drivers: the loser gets the next one', async () => {
    const store = new InMemoryEventStore(new EventRegistry().register(...TAXI_EVENT_TYPES));
    const matcher = new MatcherService(store, db);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => requestRide(store, id)));
    const outcomes = await Promise.all([matcher.match(a, NOW), matcher.match(b, NOW), matcher.match(c, NOW)]);
    const drivers = outcomes.map((o) => (o.status === 'assigned' ? o.driverId : o.status));
    expect(drivers.slice().sort()).toEqual(['far', 'near', 'requested']);
    // The streams agree: each driver claimed once, by the ride that was assigned it.
    for (const driver of ['near', 'far']) {
      const { events } = await store.readStream(`taxi-driver-${driver}`);
      expect(events.map((e) => (e.data as { rideId: string }).rideId)).toEqual([['a', 'b', 'c'][drivers.indexOf(driver)]]);
    }
    expect(matcher.pendingRides().map((r) => r.rideId)).toEqual([['a', 'b', 'c'][drivers.indexOf('requested')]]);
  });

  it('gives a ride that waited past the timeout NoDriverAvailable', async () => {
    const store = new InMemoryEventStore(new EventRegistry().register(...TAXI_EVENT_TYPES));
    const none = { query: async () => ({ rows: [] }) } as unknown as Database;
    const ride = await requestRide(store, 'late');
    expect(await new MatcherService(store, none).match(ride, NOW + 10_000)).toEqual({ status: 'closed' });
    expect((await store.readStream(rideStreamId('late'))).events.map((e) => e.type)).toEqual(['taxi.RideRequested', 'taxi.NoDriverAvailable']);
  });
});
