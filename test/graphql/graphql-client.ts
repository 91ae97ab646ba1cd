import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** The first error of a GraphQL response, as clients read it. */
export interface GqlError {
  message: string;
  extensions?: { code?: string; status?: number; field?: string };
}

/** One POST /graphql as `token`'s user (anonymous without one). */
export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ data?: T; errors?: GqlError[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: T; errors?: GqlError[] };
}

/** A graphql-ws client of the host that never retries, so a refused connection surfaces at once. */
export function wsClient(url: string, token?: string): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    shouldRetry: () => false,
  });
}

/** A subscription whose values are pulled one at a time, with a bound on each wait. */
export function subscription<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const iterator = client.iterate<T>({ query, variables });
  return {
    async next(timeoutMs = 20000): Promise<{ data?: T; errors?: readonly GqlError[] }> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no subscription value within ${timeoutMs} ms`)), timeoutMs)));
      try {
        const result = await Promise.race([iterator.next(), timeout]);
        if (result.done) throw new Error('subscription completed');
        return result.value as { data?: T; errors?: readonly GqlError[] };
      } finally {
        clearTimeout(timer);
      }
    },
    /** Waits for a value that `accept` takes, skipping others (e.g. the current counts first). */
    async until(accept: (data: T) => boolean, timeoutMs = 20000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { data, errors } = await this.next(Math.max(1, deadline - Date.now()));
        if (errors) throw new Error(`subscription error: ${JSON.stringify(errors)}`);
        if (data && accept(data)) return data;
      }
    },
    close: () => iterator.return?.(),
  };
}
