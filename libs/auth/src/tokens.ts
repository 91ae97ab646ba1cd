import jwt from 'jsonwebtoken';

/** The caller, from a verified bearer token: `sub` is the user id, `roles` may hold "admin". */
export interface Principal {
  userId: string;
  roles: string[];
}

export class InvalidToken extends Error {
  override name = 'InvalidToken';
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

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
    payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
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
