import { randomUUID } from 'node:crypto';
import { createServer, Server as NetServer, Socket } from 'node:net';
import { signToken } from '@streamfold/auth';
import { loadConfig } from '@streamfold/runtime';
import { startServer } from '@streamfold/nestjs';
import { AppModule } from '../../apps/streamfold/src/app.module';
import { HOST_DEFAULTS } from '../../apps/streamfold/src/host-defaults';
import { startTestApp, TestApp } from '../app-harness';
import { createTestDatabase, deleteTopics, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

describe('authorization', () => {
  let app: TestApp;
  beforeAll(async () => (app = await startTestApp('authz')));
  afterAll(async () => app?.close());

  it.each([
    ['GET', '/admin/projections'],
    ['GET', '/admin/dead-letters'],
    ['POST', '/admin/dead-letters/1/replay'],
    ['POST', '/admin/dead-letters/1/discard'],
    ['POST', '/admin/projections/social.post_counts/rebuild'],
  ])('%s %s needs the admin role', async (method, path) => {
    expect((await app.request(method, path)).status).toBe(401);
    const asUser = await app.request(method, path, { user: 'mallory' });
    expect(asUser.status).toBe(403);
    expect(asUser.body.message).toMatch(/requires role admin/);
  });

  it('lets an admin read projection status and dead letters', async () => {
    const status = await app.request('GET', '/admin/projections', { user: 'root', admin: true });
    expect(status.status).toBe(200);
    expect(status.body.map((p: any) => p.name)).toEqual(expect.arrayContaining(['social.post_counts', 'social.trending']));
    expect((await app.request('GET', '/admin/dead-letters', { user: 'root', admin: true })).body).toEqual([]);
    expect((await app.request('POST', '/admin/dead-letters/999/replay', { user: 'root', admin: true })).status).toBe(400);
  });

  it('runs on the adapter HTTP_ADAPTER names, where a body-less JSON command without a token is a 401, not a parse error', async () => {
    // npm test runs this file on the host's Fastify, then again with HTTP_ADAPTER=express.
    expect(app.server.app.getHttpAdapter().getType()).toBe(process.env.HTTP_ADAPTER || HOST_DEFAULTS.HTTP_ADAPTER);
    const res = await fetch(`${app.url}/social/posts/${randomUUID()}/like`, { method: 'PUT', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, error: 'unauthorized' });
  });

  it('refuses request bodies over 64 kB with 413 before any work', async () => {
    const res = await app.request('POST', '/social/posts', { user: 'big', raw: JSON.stringify({ text: 'x'.repeat(70_000) }) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/);
  });

  it('rate-limits writes per user with 429 and Retry-After, leaving other users alone', async () => {
    const postId = (await app.request('POST', '/social/posts', { user: 'author', body: { text: 'limited' } })).body.postId;
    const statuses: number[] = [];
    for (let i = 0; i < 320; i++) statuses.push((await app.request('PUT', `/social/posts/${postId}/like`, { user: 'spammer' })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 204 && s !== 429)).toEqual([]);
    const res = await fetch(`${app.url}/social/posts/${postId}/like`, { method: 'PUT', headers: { authorization: `Bearer ${app.token('spammer')}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request('PUT', `/social/posts/${postId}/like`, { user: 'someone-else' })).status).toBe(204);
  });
});

/** A TCP relay to PostgreSQL the test can cut, to make the database "go away" without touching the server. */
async function cuttableProxy(target: number): Promise<{ port: number; cut(): void; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: NetServer;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        upstream.connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    port,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    restore: listen,
    close: async () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('back-pressure when PostgreSQL is unreachable', () => {
  it('answers commands 503 quickly with Retry-After, stores nothing, and recovers', async () => {
    const db = await createTestDatabase('sf_down');
    const prefix = topicPrefix('down');
    const proxy = await cuttableProxy(5432);
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const secret = 'e2e-secret-0123456789abcdef';
    // No lake sink: it is not what this test is about, and it would write into the repository's .data.
    const server = await startServer(AppModule, {
      config: loadConfig({ HTTP_ADAPTER: process.env.HTTP_ADAPTER || HOST_DEFAULTS.HTTP_ADAPTER, DATABASE_URL: url.toString(), KAFKA_BROKERS: KAFKA_BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, PORT: '0', JWT_SECRET: secret, LOG_LEVEL: 'silent', PROCESS_ROLES: 'api,relay,projections' }),
      logger: false,
      schema: 'apply',
    });
    const post = (text: string) =>
      fetch(`${server.url}/social/posts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${signToken(secret, 'alice')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    try {
      expect((await post('before')).status).toBe(201);
      proxy.cut();
      const started = Date.now();
      const down = await post('while down');
      const elapsed = Date.now() - started;
      console.log(`503 after ${elapsed} ms`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('2');
      expect(((await down.json()) as { message: string }).message).toMatch(/nothing was stored/);
      expect(elapsed).toBeLessThan(5000);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);

      await proxy.restore();
      let recovered = 0;
      for (let i = 0; i < 50 && recovered !== 201; i++) {
        recovered = (await post('after')).status;
        if (recovered !== 201) await new Promise((r) => setTimeout(r, 200));
      }
      expect(recovered).toBe(201);
      const texts = await server.infra.database.query(`SELECT data->>'text' AS text FROM sf_events WHERE type = 'social.PostCreated' ORDER BY global_position`);
      expect(texts.rows.map((r) => r.text)).not.toContain('while down');
    } finally {
      await server.close();
      await proxy.close();
      await db.drop();
      await deleteTopics(prefix);
    }
  });
});
