/**
 * pglite-socket serves many connections from ONE PGlite session and queues their protocol
 * messages one by one. Outside a transaction it interleaves connections between messages, so
 * connection B's Parse can replace connection A's unnamed statement between A's Parse and Bind
 * ("bind message supplies 3 parameters, but prepared statement "" requires 1"). It also stops
 * serving for good after a failed message (its loop returns without clearing `processing`).
 *
 * This guard replaces the queue's loop: a connection that has started an extended-protocol
 * exchange (Parse/Bind/Describe/Execute/Close/Flush) keeps the session until its Sync, as it
 * already does inside a transaction, and a failure rejects that message and carries on.
 * Written against @electric-sql/pglite-socket 0.2.x; checked at start so an upgrade that moves
 * these internals fails loudly instead of silently losing the guard.
 */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // P B D E C H

interface Queued {
  handlerId: number;
  message: Uint8Array;
  onData(data: Uint8Array): void;
  resolve(bytes: number): void;
  reject(error: unknown): void;
}

interface QueueInternals {
  queue: Queued[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

interface SessionDb {
  isInTransaction(): boolean;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRawStream(message: Uint8Array, options: { onRawData(data: Uint8Array): void }): Promise<unknown>;
}

export function guardPgliteProtocol(server: unknown): void {
  const { queryQueue: queue, db } = server as { queryQueue?: QueueInternals; db: SessionDb };
  if (!queue || !Array.isArray(queue.queue) || typeof queue.processQueue !== 'function' || typeof queue.clearQueueForHandler !== 'function') {
    throw new Error('@electric-sql/pglite-socket internals changed: the embedded database protocol guard cannot be installed');
  }
  let midExchange: number | null = null;

  queue.processQueue = async function processQueue(this: QueueInternals): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = midExchange ?? (db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === owner);
        if (index === -1) break; // the owner's next message has not arrived yet
        const [query] = this.queue.splice(index, 1);
        let bytes = 0;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(query.message, {
              onRawData: (data) => {
                bytes += data.length;
                query.onData(data);
              },
            }),
          );
        } catch (error) {
          midExchange = null;
          query.reject(error);
          continue;
        }
        this.lastHandlerId = query.handlerId;
        midExchange = EXTENDED.has(query.message[0]) ? query.handlerId : null;
        query.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (midExchange === handlerId) {
      midExchange = null;
      void queue.processQueue();
    }
  };
}
