import { startTestApp, TestApp } from '../app-harness';
import { eventually } from '../e2e-env';

/** GetTaxi end to end on real Kafka and PostgreSQL: positions → driver locations → matching, and fares. */
describe('GetTaxi on real Kafka and PostgreSQL', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('taxi')));
  afterAll(async () => app?.close());

  const centre = { lat: 48.8566, lng: 2.3522 };
  const spot = (i: number) => ({ lat: centre.lat + (i % 10) * 0.0009, lng: centre.lng + Math.floor(i / 10) * 0.0013 });
  const fixAt = (i: number, at = new Date()) => ({ ...spot(i), at: at.toISOString() });

  it('gives 100 concurrent requests against 50 free drivers 50 distinct drivers, never one twice; the other 50 wait, then are unmatched', async () => {
    const drivers = Array.from({ length: 50 }, (_, i) => `driver-${i}`);
    const sent = await Promise.all(drivers.map((d, i) => app.request('POST', '/taxi/drivers/me/positions', { user: d, body: { positions: [fixAt(i)] } })));
    expect(sent.map((r) => r.status)).toEqual(Array(50).fill(202));
    await app.settle();

    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => app.request('POST', '/taxi/rides', { user: `rider-${i}`, body: { pickup: spot(i % 50), dropoff: centre } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(100).fill(201));
    // Answered at once: assigned, or queued when every nearby candidate was taken. How many of
    // each depends on how far the free-driver read model had caught up with the claims; the queued
    // ones are retried by the matcher, so the split is settled below, from the store.
    const assignedAtOnce = answers.filter((r) => r.body.match.status === 'assigned').map((r) => r.body.match.driverId as string);
    expect(new Set(assignedAtOnce).size).toBe(assignedAtOnce.length);
    expect(assignedAtOnce.length + answers.filter((r) => r.body.match.status === 'requested').length).toBe(100);

    // Every ride ends assigned or, after TAXI_MATCH_TIMEOUT_MS (10 s), NoDriverAvailable: 50 and 50.
    const rides = answers.map((r, i) => ({ rideId: r.body.rideId as string, rider: `rider-${i}` }));
    const ends = await eventually(async () => {
      const streams = await Promise.all(rides.map((r) => app.store.readStream(`taxi-ride-${r.rideId}`)));
      const last = streams.map((s) => s.events.at(-1)!);
      return last.every((e) => e.type === 'taxi.DriverAssigned' || e.type === 'taxi.NoDriverAvailable') ? last : undefined;
    }, 40_000, 'every ride assigned or given up');
    const assigned = ends.filter((e) => e.type === 'taxi.DriverAssigned').map((e) => (e.data as { driverId: string }).driverId);
    expect(assigned).toHaveLength(50);
    expect(new Set(assigned).size).toBe(50);
    // The store agrees: every driver stream holds exactly one claim.
    for (const d of drivers) {
      const { events } = await app.store.readStream(`taxi-driver-${d}`);
      expect(events.map((e) => e.type)).toEqual(['taxi.DriverClaimed']);
    }
    const unmatched = rides.filter((_, i) => ends[i].type === 'taxi.NoDriverAvailable');
    await app.settle(60_000);
    await eventually(async () => {
      const statuses = await Promise.all(unmatched.map((r) => app.request('GET', `/taxi/rides/${r.rideId}`, { user: r.rider })));
      return statuses.every((s) => s.body.status === 'unmatched') ? true : undefined;
    }, 20_000, '50 unmatched rides in the read model');
  }, 120_000);

  // Far from the first test's pickups (beyond the last ring), so its queued rides never compete.
  it('lets only the rider and the driver see a ride', async () => {
    await app.request('POST', '/taxi/drivers/me/positions', { user: 'driver-solo', body: { positions: [{ ...centre, lat: centre.lat - 0.07, at: new Date().toISOString() }] } });
    await app.settle();
    const ride = await app.request('POST', '/taxi/rides', { user: 'rider-solo', body: { pickup: { ...centre, lat: centre.lat - 0.07 }, dropoff: centre } });
    expect(ride).toMatchObject({ status: 201, body: { match: { status: 'assigned', driverId: 'driver-solo' } } });
    await app.settle();
    expect((await app.request('GET', `/taxi/rides/${ride.body.rideId}`, { user: 'rider-solo' })).status).toBe(200);
    expect((await app.request('GET', `/taxi/rides/${ride.body.rideId}`, { user: 'driver-solo' })).status).toBe(200);
    const other = await app.request('GET', `/taxi/rides/${ride.body.rideId}`, { user: 'someone-else' });
    expect(other).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await app.request('POST', `/taxi/rides/${ride.body.rideId}/start`, { user: 'someone-else' })).status).toBe(403);

    // Live status: the rider's stream shows the assignment, then the start the driver sends.
    const live = (user: string) => fetch(`${app.url}/taxi/rides/${ride.body.rideId}/live`, { headers: { authorization: `Bearer ${app.token(user)}` } });
    expect((await live('someone-else')).status).toBe(403);
    const res = await live('rider-solo');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (status: string) => {
      while (!text.includes(`"status":"${status}"`)) text += decoder.decode((await reader.read()).value);
    };
    await until('assigned');
    expect((await app.request('POST', `/taxi/rides/${ride.body.rideId}/start`, { user: 'driver-solo' })).status).toBe(204);
    await until('started');
    await reader.cancel();
  }, 60_000);

  it('computes the fare from stored positions, then corrects it when a late position arrives within the grace period', async () => {
    const driver = 'driver-fare';
    const home = { lat: 48.93, lng: 2.45 };
    await app.request('POST', '/taxi/drivers/me/positions', { user: driver, body: { positions: [{ ...home, at: new Date().toISOString() }] } });
    await app.settle();
    const ride = await app.request('POST', '/taxi/rides', { user: 'rider-fare', body: { pickup: home, dropoff: centre } });
    expect(ride).toMatchObject({ status: 201, body: { match: { status: 'assigned', driverId: driver } } });
    const rideId = ride.body.rideId as string;
    expect((await app.request('POST', `/taxi/rides/${rideId}/start`, { user: driver })).status).toBe(204);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    // 3 s of driving north at ~36 km/h: 10 m per 1,000 ms ... every other fix held back.
    const fixes = Array.from({ length: 6 }, (_, i) => ({ lat: home.lat + (i * 10) / 111_195 / 2, lng: home.lng, at: new Date(t0 + 250 + i * 500).toISOString() }));
    const onTime = fixes.filter((_, i) => i % 2 === 0 || i === 5);
    await app.request('POST', '/taxi/drivers/me/positions', { user: driver, body: { positions: [...onTime].reverse() } });
    expect((await app.request('POST', `/taxi/rides/${rideId}/complete`, { user: driver })).status).toBe(204);
    await app.request('POST', '/taxi/drivers/me/positions', { user: driver, body: { positions: [{ ...fixes[5], at: new Date().toISOString() }] } });

    const first = await eventually(async () => {
      const r = await app.request('GET', `/taxi/rides/${rideId}`, { user: 'rider-fare' });
      return r.body.fareMinor != null ? r.body : undefined;
    }, 30_000, 'a fare');
    expect(first.distanceM).toBeCloseTo(25, 0);
    expect(first.fareCorrections).toBe(0);

    // The held-back fixes arrive late (after completion, within the grace period): a detour east.
    const late = fixes.filter((_, i) => i % 2 === 1 && i !== 5).map((f) => ({ ...f, lng: f.lng + 20 / 73_000 }));
    await app.request('POST', '/taxi/drivers/me/positions', { user: driver, body: { positions: late } });
    const corrected = await eventually(async () => {
      const r = await app.request('GET', `/taxi/rides/${rideId}`, { user: 'rider-fare' });
      return r.body.fareCorrections === 1 ? r.body : undefined;
    }, 30_000, 'a corrected fare');
    expect(corrected.distanceM).toBeGreaterThan(first.distanceM);
    expect(corrected.fareMinor).toBeGreaterThan(first.fareMinor);
    const { events } = await app.store.readStream(`taxi-ride-${rideId}`);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['taxi.FareCalculated', 'taxi.FareCorrected']);
  }, 90_000);
});
