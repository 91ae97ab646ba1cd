import type { Sql } from '@streamfold/runtime';

const NOTIFY_LIMIT = 7900;

/**
 * Tells listeners (live SSE in any process) which users changed. NOTIFY is transactional, so
 * they hear it only once the batch commits; payloads are capped at 8000 bytes, hence chunks of
 * user ids, all sent in one statement.
 */
export async function notifyUsers(sql: Sql, channel: string, userIds: Iterable<string>): Promise<void> {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const id of userIds) {
    const item = JSON.stringify(id);
    if (size + item.length + 1 > NOTIFY_LIMIT && current.length > 0) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(item);
    size += item.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(',')}]`);
  if (chunks.length > 0) await sql.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [channel, chunks]);
}
