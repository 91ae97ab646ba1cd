import { ConfigError, loadConfig, StartupError } from '@streamfold/runtime';
import { join } from 'node:path';
import { ContextDefinition, defineContext } from '../context/context';
import { lakeSetup } from './lake-setup';

const context = (name: string, overrides: Partial<ContextDefinition> = {}): ContextDefinition =>
  defineContext({
    name,
    events: [{ type: `${name}.Happened` }],
    streams: [name],
    topics: [{ name: `${name}_events`, partitions: 1 }],
    route: () => null,
    projections: [],
    ...overrides,
  });

const config = loadConfig({ DATA_DIR: '/tmp/sf-data' });

describe('the lake as the host sets it up', () => {
  it('puts the lake beside the embedded data unless LAKE_DIR says otherwise, and offloads every topic', () => {
    const setup = lakeSetup(config, [context('a')], {}, {});
    expect(setup.config).toEqual({ dir: join('/tmp/sf-data', 'lake'), flushRows: 10_000, flushMs: 10_000, compactEveryMs: 60_000 });
    expect(setup.topics).toEqual(['dead_letters', 'app_logs', 'app_metrics', 'a_events']);
    expect(lakeSetup(config, [], {}, { LAKE_DIR: '/srv/lake' }).config.dir).toBe('/srv/lake');
    const prefixed = loadConfig({ DATA_DIR: '/tmp/sf-data', KAFKA_TOPIC_PREFIX: 'staging.' });
    expect(lakeSetup(prefixed, [], {}, {}).config.dir).toBe(join('/tmp/sf-data', 'lake-staging.'));
  });

  it('refuses an invalid LAKE_* variable with a one-line ConfigError naming it', () => {
    expect(() => lakeSetup(config, [], {}, { LAKE_FLUSH_ROWS: '0' })).toThrow(new ConfigError('LAKE_FLUSH_ROWS must be an integer ≥ 1, got "0"'));
  });

  it('refuses named queries that do not use their parameters, and columns two contexts type differently', () => {
    const broken = context('q', { lakeQueries: [{ name: 'n', sql: 'SELECT 1', params: { since: 'timestamp' } }] });
    expect(() => lakeSetup(config, [broken], {}, {})).toThrow(StartupError);
    const a = context('a', { lakeSchemas: { 'a.Happened': { postId: 'VARCHAR' } } });
    const b = context('b', { lakeSchemas: { 'b.Happened': { postId: 'BIGINT' } } });
    expect(() => lakeSetup(config, [a, b], {}, {})).toThrow(/lake schemas: column "postId"/);
  });

  it('refuses, when a context is defined, lake columns of foreign events and ingestion into foreign topics', () => {
    expect(() => context('c', { lakeSchemas: { 'x.Other': { id: 'VARCHAR' } } })).toThrow(/lakeSchemas names x.Other/);
    const stream = { topic: 'elsewhere', type: 'c.Happened', validate: () => [], key: () => 'k' };
    expect(() => context('c', { ingest: { s: stream } })).toThrow(/ingest stream s writes to elsewhere/);
  });
});
