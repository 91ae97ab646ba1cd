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

  describe('verified tokens are answered from a cache', () => {
    afterEach(() => jest.useRealTimers());

    it('only until the token expires', () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
      const token = signToken(secret, 'bob', { expiresInSeconds: 60 });
      expect(verifyToken(secret, token)).toEqual({ userId: 'bob', roles: [] });
      jest.setSystemTime(new Date('2026-01-01T00:00:59Z'));
      expect(verifyToken(secret, token)).toEqual({ userId: 'bob', roles: [] });
      jest.setSystemTime(new Date('2026-01-01T00:01:00Z'));
      expect(() => verifyToken(secret, token)).toThrow(/token expired/);
    });

    it('never for another secret, nor for a token changed by one character', () => {
      const token = signToken(secret, 'carol', { roles: ['admin'] });
      expect(verifyToken(secret, token).roles).toEqual(['admin']);
      expect(() => verifyToken('another-secret-entirely', token)).toThrow(/token invalid/);
      const [head, body, signature] = token.split('.');
      const forged = [head, Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), roles: ['admin', 'root'] })).toString('base64url'), signature].join('.');
      expect(() => verifyToken(secret, forged)).toThrow(/token invalid/);
    });

    it('hands out copies: a caller changing its principal changes no later answer', () => {
      const token = signToken(secret, 'dave', { roles: ['reader'] });
      verifyToken(secret, token).roles.push('admin');
      expect(verifyToken(secret, token).roles).toEqual(['reader']);
    });
  });
});
