import { Test } from '@nestjs/testing';
import { MetricsService, ProjectionRegistry, ProjectionsModule, RuntimeModule } from '@streamfold/nestjs';
import { Infrastructure, loadConfig } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { KAFKA_BROKERS } from '../e2e-env';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { countsOf, Harness, openHarness } from './support/harness';
import { DeadLetters } from './support/lib';

async function boot(h: Harness, workers: boolean) {
  const config = loadConfig({
    DATABASE_URL: h.url,
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: h.prefix,
    PROCESS_ROLES: workers ? 'api,projections' : 'api',
    LOG_LEVEL: 'silent',
  });
  const infra = await Infrastructure.start(config, { migrations: MIGRATIONS, topics: [{ name: 'likes', partitions: 3 }], schema: 'apply' });
  const moduleRef = await Test.createTestingModule({
    imports: [RuntimeModule.forRoot(infra, { http: false }), ProjectionsModule.forRoot({ projections: [countsProjection({ topics: ['likes'] })] })],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return { moduleRef, infra };
}

describe('ProjectionsModule', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('module')));
  afterAll(async () => h.close());

  it('starts a runner per projection on bootstrap, reports metrics, and stops them on shutdown', async () => {
    const { moduleRef, infra } = await boot(h, true);
    h.onClose(() => infra.close());
    h.onClose(() => moduleRef.close());
    const registry = moduleRef.get(ProjectionRegistry);
    const runner = registry.get('test.counts');
    expect(runner.running).toBe(true);
    expect(() => registry.get('nope')).toThrow(/unknown projection "nope" \(registered: test.counts\)/);
    expect(moduleRef.get(DeadLetters)).toBeInstanceOf(DeadLetters);

    const relay = new FakeRelay(h.log, 'likes');
    await relay.publish(Array.from({ length: 300 }, (_, i) => ({ key: `post-${i % 9}` })));
    await registry.waitUntilCaughtUp(30000);
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());

    const metrics = moduleRef.get(MetricsService).registry;
    const applied = await metrics.getSingleMetric('streamfold_projection_events_applied_total')!.get();
    expect(applied.values).toEqual([expect.objectContaining({ labels: { projection: 'test.counts' }, value: 300 })]);
    const lag = await metrics.getSingleMetric('streamfold_projection_lag')!.get();
    expect(lag.values.map((v) => v.labels.partition).sort()).toEqual(['0', '1', '2']);
    expect(lag.values.every((v) => v.value === 0)).toBe(true);
    const duration = await metrics.getSingleMetricAsString('streamfold_projection_batch_duration_seconds');
    expect(duration).toMatch(/streamfold_projection_batch_duration_seconds_count\{projection="test.counts"\} [1-9]/);

    await moduleRef.close();
    expect(runner.running).toBe(false);
    await infra.close();
  });

  it('starts nothing when the process runs without workers', async () => {
    const { moduleRef, infra } = await boot(h, false);
    h.onClose(() => infra.close());
    h.onClose(() => moduleRef.close());
    expect(moduleRef.get(ProjectionRegistry).get('test.counts').running).toBe(false);
    await moduleRef.close();
    await infra.close();
  });
});
