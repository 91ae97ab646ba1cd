import type { EventRegistry } from '@streamfold/core';
import type { Database } from '@streamfold/runtime';
import type { EventStore, ManyStreamAppender } from './event-store.port';
import { PostgresEventStore } from './postgres-event-store';

const NO_POOL = new Proxy({} as Database, {
  get() {
    throw new Error('a transactional appender only appends inside the caller\'s transaction: pass options.sql');
  },
});

/**
 * The append of a PostgreSQL event store that only ever joins the caller's open transaction.
 * Processors declared statically (before Nest has a pool) use it to emit events in the batch's
 * transaction, so output, state and checkpoint commit together.
 */
export function transactionalAppender(registry?: EventRegistry): Pick<EventStore, 'append'> & ManyStreamAppender {
  // Unnamed statements: the caller's connection may be embedded PGlite's shared session.
  const store = new PostgresEventStore(NO_POOL, registry, undefined, { preparedStatements: false });
  return {
    append: (streamId, events, options) => {
      if (!options.sql) throw new Error(`append to ${streamId}: a transactional appender needs options.sql`);
      return store.append(streamId, events, options);
    },
    appendMany: (appends, options) => store.appendMany(appends, options),
  };
}
