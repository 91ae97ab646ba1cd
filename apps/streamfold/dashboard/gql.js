// GraphQL for the page: queries over HTTP, subscriptions over graphql-ws (its own browser build,
// served from the package by the host: no CDN).
import { createClient } from '/dashboard/vendor/graphql-ws/client.js';

export async function query(q, variables = {}, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: q, variables }) });
  return res.json();
}

/** One socket per signed-in token; `onState('live' | 'offline' | 'refused')` drives the badge. */
export function connect(token, onState) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 5,
    // 4403: the server refused the token; retrying would only be refused again.
    shouldRetry: (event) => event?.code !== 4403,
    on: {
      connected: () => onState('live'),
      closed: (event) => onState(event?.code === 4403 ? 'refused' : 'offline'),
    },
  });
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe(client, q, variables, onData, onError) {
  return client.subscribe({ query: q, variables }, {
    next: ({ data, errors }) => (errors ? onError(errors) : onData(data)),
    error: (error) => onError([{ message: error?.reason || error?.message || 'connection closed' }]),
    complete: () => undefined,
  });
}
