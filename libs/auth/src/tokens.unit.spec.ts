import jwt from 'jsonwebtoken';
import { InvalidToken, signToken, verifyToken } from './tokens';

const secret = 'a-test-secret-of-some-length';

describe('bearer tokens', () => {
  it('round-trips the user id and roles', () => {
    expect(verifyToken(secret, signToken(secret, 'alice', { roles: ['admin'] }))).toEqual({ userId: 'alice', roles: ['admin'] });
  });
  it.each([
    ['another secret', () => signToken('another-secret-entirely', 'alice'), /token invalid/],
    ['expired', () => jwt.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 10 }, secret), /token expired/],
    ['alg none', () => jwt.sign({ sub: 'alice' }, '', { algorithm: 'none' }), /token invalid/],
    ['no subject', () => jwt.sign({ roles: [] }, secret), /no valid subject/],
    ['garbage', () => 'not.a.token', /token invalid/],
  ])('rejects a token: %s', (_, make, message) => {
    expect(() => verifyToken(secret, make())).toThrow(InvalidToken);
    expect(() => verifyToken(secret, make())).toThrow(message);
  });
});
