import { backoffMs, consumerId, eta, isInfrastructureError, parseConsumerId, retryPolicy } from './support/lib';

describe('retry policy', () => {
  it('doubles the wait from the initial backoff up to the cap', () => {
    const policy = retryPolicy({ initialBackoffMs: 100, maxBackoffMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffMs(policy, retry))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('defaults to 3 batch attempts and 5 attempts per event', () => {
    expect(retryPolicy()).toEqual({ batchAttempts: 3, maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 5000 });
  });

  it('refuses settings that would never dead-letter or never retry', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ batchAttempts: 1.5 })).toThrow(/batchAttempts/);
    expect(() => retryPolicy({ initialBackoffMs: 500, maxBackoffMs: 100 })).toThrow(/backoff/);
  });

  it('tells an outage apart from a poison event, so an outage never dead-letters healthy events', () => {
    expect(isInfrastructureError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isInfrastructureError(new TypeError("Cannot read properties of undefined (reading 'amount')"))).toBe(false);
  });
});

describe('consumer ids', () => {
  it('round-trip names that themselves contain @ and dots', () => {
    expect(consumerId('social.post@counts', 12)).toBe('social.post@counts@v12');
    expect(parseConsumerId('social.post@counts@v12')).toEqual({ name: 'social.post@counts', version: 12 });
    expect(() => parseConsumerId('social.post_counts')).toThrow(/not a projection consumer id/);
  });
});

describe('rebuild ETA', () => {
  it('is the remaining estimate over the rate', () => {
    expect(eta({ processed: 1000, total: 4000, eventsPerSecond: 100 })).toBe('30s');
    expect(eta({ processed: 0, total: 65000, eventsPerSecond: 1000 })).toBe('1m05s');
    expect(eta({ processed: 10, total: 10, eventsPerSecond: 5 })).toBe('0s');
    expect(eta({ processed: 0, total: 10, eventsPerSecond: 0 })).toBe('-');
  });
});
