/**
 * kafkajs 2.2.4 keeps a 1 ms timer loop alive on every broker connection it has ever used
 * (tulios/kafkajs#1556, #1704; unfixed upstream): each answered request runs
 * `checkPendingRequests`, which always ends in `scheduleCheckPendingRequests`, and with nothing
 * pending and no throttle that schedules `setTimeout(check, throttledUntil - now)`, a negative
 * delay Node runs after 1 ms, forever. A host process holds a few dozen connections (a consumer
 * group per projection), so tens of thousands of timer callbacks a second, busy or idle.
 *
 * The replacement keeps every case that needs a later check (requests pending, or a broker
 * throttle still running) and drops only the one that has nothing to check: a request pushed later
 * is sent at once or schedules its own check, and every answer checks the queue again.
 * Installed only over the exact 2.2.4 method; any other kafkajs is left as it is.
 * `test/runtime/kafka.e2e.spec.ts` counts the queue checks of an idle consumer on the real broker.
 */

/** kafkajs' own retry interval for pending requests (`CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** The buggy method's body, whitespace removed: what the fix replaces. */
const BUGGY_BODY = 'letscheduleAt=this.throttledUntil-Date.now()if(!this.throttleCheckTimeoutId){if(this.pending.length>0){scheduleAt=scheduleAt>0?scheduleAt:CHECK_PENDING_REQUESTS_INTERVAL}this.throttleCheckTimeoutId=setTimeout(()=>{this.throttleCheckTimeoutId=nullthis.checkPendingRequests()},scheduleAt)}';

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (scheduleAt <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

/** What installing found: `fixed` when the 2.2.4 method was replaced (now or before). */
export type KafkajsIdleLoopFix = 'fixed' | 'not-needed';

let installed: KafkajsIdleLoopFix | null = null;

export function fixKafkajsIdleLoop(): KafkajsIdleLoopFix {
  if (installed) return installed;
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  const original = RequestQueue.prototype.scheduleCheckPendingRequests;
  const source = String(original);
  const body = source.slice(source.indexOf('{') + 1, source.lastIndexOf('}')).replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  if (body !== BUGGY_BODY) return (installed = 'not-needed');
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return (installed = 'fixed');
}
