import { LogSequence } from '@streamfold/core';
import { EventStore, StoredEvent } from './event-store.port';

/** Paging of readAllFrom. */
export interface ReadAllFromOptions {
  /** Events fetched per query. @default 1000 */
  pageSize?: number;
}

/**
 * Pages through the global log from `after` (exclusive) until it is caught up, for replays and
 * rebuilds. Each page resumes from the previous page's last sequence, so it inherits readAll's
 * gap safety: an event whose transaction commits late shows up in a later page, never skipped.
 * Ends at the first empty page; events appended afterwards need a new iteration.
 */
export async function* readAllFrom(store: EventStore, after: LogSequence | null, options: ReadAllFromOptions = {}): AsyncGenerator<StoredEvent> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  let cursor = after;
  for (;;) {
    const page = await store.readAll(cursor, pageSize);
    if (page.length === 0) return;
    for (const event of page) yield event;
    cursor = page[page.length - 1].sequence;
    // A short page means we reached what is readable now; one more query would only confirm it.
    if (page.length < pageSize) return;
  }
}
