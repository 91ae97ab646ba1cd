import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/**
 * Every route of the host (`/social/posts/{postId}/like` …) with its parameters, bodies and
 * responses per status, generated from the OpenAPI document by `npm run client:generate`.
 */
export type StreamfoldPaths = paths;

/** The document's named schemas: `StreamfoldSchemas['ApiError']`, `StreamfoldSchemas['PostResponse']` … */
export type StreamfoldSchemas = components['schemas'];

/** Each operation by its operationId (`likePost`, `getFeed` …): parameters and responses. */
export type StreamfoldOperations = operations;

/** The one error body of every 4xx and 5xx answer: `{ statusCode, error, message, field? }`. */
export type ApiErrorBody = components['schemas']['ApiError'];

/**
 * A typed client of the host's REST API (openapi-fetch): `client.PUT('/social/posts/{postId}/like',
 * { params: { path: { postId } } })` resolves to `{ data, error, response }`, where `data` is the
 * 2xx body and `error` the ApiError body, both typed from the document. It never throws on an
 * HTTP status, only when the request cannot be sent.
 */
export type StreamfoldClient = Client<paths>;

/** Options of `createStreamfoldClient`. */
export interface StreamfoldClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /**
   * Bearer token sent on every request, or a function asked before each one (a per-user token in
   * a simulator). Per call, `headers: bearer(token)` overrides it. @default none: public routes only
   */
  token?: string | (() => string | undefined);
}

/** `{ authorization: 'Bearer <token>' }`, for the `headers` of one call made as another user. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * Creates a client of the host at `baseUrl` (e.g. `http://127.0.0.1:3000`, no trailing path). Cheap:
 * one per user is fine. Paths and bodies are checked by the compiler against the generated schema.
 */
export function createStreamfoldClient(baseUrl: string, options: StreamfoldClientOptions = {}): StreamfoldClient {
  const { token, ...rest } = options;
  const client = createClient<paths>({ ...rest, baseUrl });
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const value = typeof token === 'function' ? token() : token;
        // A per-call `headers: bearer(...)` has set it already and wins.
        if (value && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}
