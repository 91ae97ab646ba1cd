import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests: jest.Mock;
  scheduleCheckPendingRequests(): void;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: Queue };

/** A queue in the state kafkajs leaves it after answering a request: `throttledUntil` -1 when never throttled. */
function queue(state: Partial<Queue> = {}): Queue {
  const q = Object.create(RequestQueue.prototype) as Queue;
  return Object.assign(q, { pending: [], throttledUntil: -1, throttleCheckTimeoutId: null, checkPendingRequests: jest.fn() }, state);
}

describe('fixKafkajsIdleLoop (kafkajs 2.2.4 request queue)', () => {
  beforeAll(() => expect(fixKafkajsIdleLoop()).toBe('fixed'));
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('schedules nothing when no request is pending and no throttle runs (2.2.4 scheduled a check every millisecond)', () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    jest.advanceTimersByTime(100);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
  });

  it('still checks pending requests after the retry interval', () => {
    const q = queue({ pending: [{}] });
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    jest.advanceTimersByTime(9);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks when a broker throttle ends, pending or not', () => {
    const q = queue({ throttledUntil: Date.now() + 50 });
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(49);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
  });

  it('keeps a check already scheduled instead of adding another', () => {
    const q = queue({ pending: [{}] });
    q.scheduleCheckPendingRequests();
    const first = q.throttleCheckTimeoutId;
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBe(first);
    jest.advanceTimersByTime(10);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
  });

  it('is installed once', () => {
    expect(fixKafkajsIdleLoop()).toBe('fixed');
  });
});
