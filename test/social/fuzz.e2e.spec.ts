import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { propertyParams } from '@streamfold/testing';
import { startTestApp, TestApp } from '../app-harness';

/**
 * Property tests over every MySocialMedia endpoint: malformed and hostile input always gets a
 * 4xx with a message, never a 5xx, and changes no event and no read model.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

const injection = fc.constantFrom(
  "'; DROP TABLE sf_events; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '\u0000',
  '%00',
  '{{7*7}}',
);
// Bodies are sent as JSON, so every generated value must survive JSON.stringify unchanged: an
// `undefined` property or NaN would be dropped or turned into null, and {"text":"!","extra":undefined}
// is the valid body {"text":"!"}. Only JSON values are generated (fc.jsonValue, finite doubles).
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
const badText = fc.oneof(
  notAString.map((text) => ({ text })),
  fc.constant({}),
  fc.stringMatching(/^\s{0,20}$/).map((text) => ({ text })),
  fc.string({ unit: 'grapheme', minLength: 2001, maxLength: 3000 }).map((text) => ({ text })),
  fc.record({ text: fc.string({ minLength: 1, maxLength: 20 }), extra: fc.jsonValue() }),
  fc.constantFrom({ text: 'a\u0000b' }, { text: '\ud800 lone surrogate' }),
);
const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"text":', '[', 'nul', '{"text":"a",}', "{'text':'a'}", '\u0000', '{"text":"\\u12"}'),
  fc.string({ maxLength: 30 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
const badId = fc.oneof(injection, fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)), fc.uuid({ version: 1 }));

describe('fuzzing MySocialMedia', () => {
  let app: TestApp;
  let postId: string;
  let commentId: string;
  beforeAll(async () => {
    app = await startTestApp('fuzz');
    postId = (await app.request('POST', '/social/posts', { user: 'owner', body: { text: 'baseline' } })).body.postId;
    commentId = (await app.request('POST', `/social/posts/${postId}/comments`, { user: 'owner', body: { text: 'first' } })).body.commentId;
    await app.request('PUT', `/social/posts/${postId}/like`, { user: 'fan' });
    await app.settle();
  });
  afterAll(async () => app?.close());

  const expect4xx = (res: { status: number; body: any }, what: string) => {
    if (res.status < 400 || res.status >= 500) throw new Error(`${what}: expected 4xx, got ${res.status} ${JSON.stringify(res.body)}`);
    if (!res.body || typeof res.body.message === 'undefined') throw new Error(`${what}: ${res.status} without a message`);
  };

  it('answers bad bodies, ids and tokens with a 4xx and a message, and changes nothing', async () => {
    const before = await snapshot(app, postId);
    const url = () => fc.constantFrom('/social/posts', `/social/posts/${postId}/comments`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('body' as const), path: url(), body: badText }),
          fc.record({ kind: fc.constant('json' as const), path: url(), raw: malformedJson }),
          fc.record({ kind: fc.constant('id' as const), id: badId, op: fc.constantFrom('like', 'unlike', 'delete', 'comment', 'uncomment', 'get', 'live') }),
          fc.record({
            kind: fc.constant('token' as const),
            token: fc.oneof(
              fc.string({ maxLength: 80 }),
              fc.constant(jwt.sign({ sub: 'owner' }, 'a-forged-secret-of-good-length')),
              fc.constant(jwt.sign({ sub: 'owner', exp: Math.floor(Date.now() / 1000) - 60 }, 'e2e-secret-0123456789abcdef')),
              fc.constant(jwt.sign({ sub: 'owner' }, '', { algorithm: 'none' })),
              fc.constant(jwt.sign({ sub: "owner'; --", roles: ['admin'] }, 'e2e-secret-0123456789abcdef')),
            ),
            // Routes that exist, with their own methods: a 404 would test routing, not the bearer guard.
            route: fc.constantFrom<[string, string]>(
              ['PUT', `/social/posts/${postId}/like`],
              ['DELETE', `/social/posts/${postId}/like`],
              ['DELETE', `/social/posts/${postId}`],
              ['POST', `/social/posts/${postId}/comments`],
              ['GET', '/admin/projections'],
              ['POST', '/admin/dead-letters/1/replay'],
            ),
          }),
          fc.record({ kind: fc.constant('query' as const), limit: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 101 }), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/^\s*\d+\s*$/.test(s))) }),
        ),
        async (input) => {
          switch (input.kind) {
            case 'body':
              expect4xx(await app.request('POST', input.path, { user: 'fuzzer', body: input.body }), `POST ${input.path} ${JSON.stringify(input.body).slice(0, 80)}`);
              break;
            case 'json':
              expect4xx(await app.request('POST', input.path, { user: 'fuzzer', raw: input.raw }), `POST ${input.path} raw ${JSON.stringify(input.raw)}`);
              break;
            case 'id': {
              const id = encodeURIComponent(input.id);
              const [method, path] = {
                like: ['PUT', `/social/posts/${id}/like`],
                unlike: ['DELETE', `/social/posts/${id}/like`],
                delete: ['DELETE', `/social/posts/${id}`],
                comment: ['POST', `/social/posts/${id}/comments`],
                uncomment: ['DELETE', `/social/posts/${postId}/comments/${id}`],
                get: ['GET', `/social/posts/${id}`],
                live: ['GET', `/social/posts/${id}/live`],
              }[input.op];
              expect4xx(await app.request(method, path, { user: 'fuzzer', body: method === 'POST' ? { text: 'ok' } : undefined }), `${method} ${path}`);
              break;
            }
            case 'token': {
              const [method, path] = input.route;
              const res = await fetch(`${app.url}${path}`, {
                method,
                headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' },
                body: method === 'POST' ? JSON.stringify({ text: 'ok' }) : undefined,
              });
              const body = await res.json().catch(() => undefined);
              if (res.status !== 401) throw new Error(`token ${JSON.stringify(input.token.slice(0, 20))} on ${method} ${path}: expected 401, got ${res.status} ${JSON.stringify(body)}`);
              expect4xx({ status: res.status, body }, `token on ${method} ${path}`);
              break;
            }
            case 'query':
              expect4xx(await app.request('GET', `/social/feed?limit=${encodeURIComponent(String(input.limit))}`), `feed limit=${input.limit}`);
              break;
          }
        },
      ),
      propertyParams({ numRuns: RUNS }),
    );
    // Domain refusals from other users, on real ids.
    expect4xx(await app.request('DELETE', `/social/posts/${postId}`, { user: 'fuzzer' }), 'delete another user\'s post');
    expect4xx(await app.request('DELETE', `/social/posts/${postId}/comments/${commentId}`, { user: 'fuzzer' }), 'delete another user\'s comment');
    // Unliking what you never liked is an idempotent no-op (204) that must change nothing either.
    expect((await app.request('DELETE', `/social/posts/${postId}/like`, { user: 'fuzzer' })).status).toBe(204);
    await app.settle();
    expect(await snapshot(app, postId)).toEqual(before);
  });

  it('stores any valid unicode text verbatim, injection strings included', async () => {
    const sent: Array<{ postId: string; raw: string }> = [];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), injection), async (raw) => {
        fc.pre(raw.trim().length > 0 && !raw.includes('\u0000'));
        const res = await app.request('POST', '/social/posts', { user: 'writer', body: { text: raw } });
        if (res.status !== 201) throw new Error(`valid text ${JSON.stringify(raw)} got ${res.status} ${JSON.stringify(res.body)}`);
        sent.push({ postId: res.body.postId, raw });
      }),
      propertyParams({ numRuns: Math.ceil(RUNS / 3) }),
    );
    expect(sent.length).toBeGreaterThan(0);
    await app.settle();
    // Read back as a client would; the only change allowed is the documented trim of surrounding space.
    for (const { postId, raw } of sent) {
      const res = await app.request('GET', `/social/posts/${postId}`);
      expect({ raw, status: res.status, text: res.body?.text }).toEqual({ raw, status: 200, text: raw.trim() });
    }
  });
});

async function snapshot(app: TestApp, postId: string) {
  const db = app.server.infra.database;
  return {
    events: (await db.query('SELECT count(*)::int AS n FROM sf_events')).rows[0].n,
    posts: (await db.query('SELECT post_id, likes, comments, deleted_at FROM social_posts ORDER BY post_id')).rows,
    post: (await app.request('GET', `/social/posts/${postId}`)).body,
  };
}
