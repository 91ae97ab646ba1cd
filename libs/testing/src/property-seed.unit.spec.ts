import { chooseSeed, CI_PROPERTY_SEED } from './property-seed';

describe('chooseSeed', () => {
  it('takes FC_SEED first, so a failure is replayed in CI and locally alike', () => {
    expect(chooseSeed({ FC_SEED: '-1234', CI: 'true' })).toEqual({ seed: -1234, source: 'from FC_SEED' });
  });

  it('is fixed in CI without FC_SEED', () => {
    expect(chooseSeed({ CI: 'true' }).seed).toBe(CI_PROPERTY_SEED);
  });

  it('is random locally', () => {
    const seeds = new Set(Array.from({ length: 5 }, () => chooseSeed({}).seed));
    expect(seeds.size).toBeGreaterThan(1);
    for (const s of seeds) expect(Number.isInteger(s)).toBe(true);
  });

  it('refuses an FC_SEED that is not an integer', () => {
    expect(() => chooseSeed({ FC_SEED: '1.5' })).toThrow('FC_SEED must be an integer, got "1.5"');
    expect(() => chooseSeed({ FC_SEED: '12a' })).toThrow(/must be an integer/);
  });
});
