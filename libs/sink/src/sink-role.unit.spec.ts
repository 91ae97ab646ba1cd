import { InvalidLakeConfig, lakeConfigFromEnv } from './sink-role';
import { declaredColumns, InvalidLakeSchema, lakeSchemasOf } from './lake-schema';

describe('lake configuration and schemas', () => {
  it('reads LAKE_* with defaults and refuses nonsense at boot', () => {
    expect(lakeConfigFromEnv({})).toEqual({ dir: '.data/lake', flushRows: 10_000, flushMs: 10_000, compactEveryMs: 60_000 });
    expect(lakeConfigFromEnv({ LAKE_DIR: '/lake', LAKE_FLUSH_ROWS: '50', LAKE_COMPACT_EVERY_MS: '0' })).toMatchObject({ dir: '/lake', flushRows: 50, compactEveryMs: 0 });
    expect(() => lakeConfigFromEnv({ LAKE_FLUSH_MS: 'soon' })).toThrow(InvalidLakeConfig);
    expect(() => lakeConfigFromEnv({ LAKE_FLUSH_ROWS: '0' })).toThrow(/LAKE_FLUSH_ROWS/);
  });

  it('takes lake columns from event definitions and refuses names or types that would break SQL', () => {
    expect(lakeSchemasOf([{ type: 'a', lakeSchema: { postId: 'VARCHAR' } }, { type: 'b' }])).toEqual({ a: { postId: 'VARCHAR' } });
    expect(() => declaredColumns({ a: { 'x; DROP': 'VARCHAR' } })).toThrow(InvalidLakeSchema);
    expect(() => declaredColumns({ a: { x: 'VARCHAR); --' as 'VARCHAR' } })).toThrow(InvalidLakeSchema);
    expect(() => declaredColumns({ a: { event_id: 'VARCHAR' } })).toThrow(/reserved/);
    expect(() => declaredColumns({ a: { n: 'INTEGER' }, b: { n: 'DOUBLE' } })).toThrow(/INTEGER/);
    expect(declaredColumns({ a: { n: 'INTEGER' }, b: { n: 'INTEGER' } })).toEqual([{ column: 'n', type: 'INTEGER', eventTypes: ['a', 'b'] }]);
  });
});
