import { InvalidToken, Principal, verifyToken } from '@streamfold/auth';
import DataLoader from 'dataloader';

/**
 * A resolver's GraphQL context (`@Context()`): `req` is the HTTP request for queries and mutations
 * (the bearer guard puts the principal on it) and, for a subscription, a request-like object with
 * the principal verified at connection; `loaders` holds this request's DataLoaders.
 */
export interface StreamfoldGraphQLContext {
  req: { principal?: Principal; headers?: Record<string, unknown> };
  res?: unknown;
  loaders: Map<string, DataLoader<unknown, unknown>>;
}

/** What graphql-ws keeps per socket (`ctx.extra`); the principal is added by `onConnect`. */
interface SocketExtra {
  principal?: Principal;
}

/**
 * Builds the context of an HTTP operation (Apollo on Express: `{ req, res }`; on Fastify: the
 * request and the reply) or of a subscription (graphql-ws: `{ connectionParams, extra }`).
 */
export function graphqlContext(input: { req?: any; res?: unknown; extra?: SocketExtra }, reply?: unknown): StreamfoldGraphQLContext {
  if (input.extra) return { req: { principal: input.extra.principal, headers: {} }, loaders: new Map() };
  if (input.req === undefined && reply !== undefined) return { req: input as StreamfoldGraphQLContext['req'], res: reply, loaders: new Map() };
  return { req: input.req, res: input.res, loaders: new Map() };
}

/**
 * graphql-ws `onConnect`: a socket without a valid `connectionParams.authorization` (a bare token
 * or `Bearer <token>`) is refused before any subscription (close code 4403 Forbidden), so a
 * subscription never runs for an unknown caller and resolvers can scope data to the principal.
 */
export function authenticateConnection(secret: string) {
  return (ctx: { connectionParams?: Readonly<Record<string, unknown>>; extra: unknown }): boolean => {
    const raw = ctx.connectionParams?.authorization;
    if (typeof raw !== 'string' || raw.trim() === '') return false;
    const token = raw.startsWith('Bearer ') ? raw.slice(7).trim() : raw.trim();
    try {
      (ctx.extra as SocketExtra).principal = verifyToken(secret, token);
      return true;
    } catch (error) {
      if (error instanceof InvalidToken) return false;
      throw error;
    }
  };
}

/**
 * The DataLoader named `name` of this request, created on first use: every `load(key)` in one
 * operation tick becomes one `batch(keys)` call (no N+1), and nothing is cached across requests,
 * so a read never returns another request's stale row. `batch` returns one value (or Error) per
 * key, in key order.
 */
export function requestLoader<K, V>(context: StreamfoldGraphQLContext, name: string, batch: (keys: readonly K[]) => Promise<Array<V | Error>>): DataLoader<K, V> {
  let loader = context.loaders.get(name) as DataLoader<K, V> | undefined;
  if (!loader) {
    loader = new DataLoader<K, V>(batch, { maxBatchSize: 500 });
    context.loaders.set(name, loader as DataLoader<unknown, unknown>);
  }
  return loader;
}
