import { Agent, get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@streamfold/auth';
import { DEV_JWT_SECRET } from '@streamfold/runtime';
import { createTestDatabase, eventually, KAFKA_BROKERS, TestDatabase, topicPrefix } from '../e2e-env';
import { freePort, MAIN, spawnNode, withServerOutput } from '../process';

async function health(port: number): Promise<{ status: number; body: any } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined;
  }
}

describe('the server process', () => {
  it('serves /health with nothing configured (embedded default) and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'streamfold-'));
    const port = await freePort();
    const server = spawnNode(MAIN, { PORT: String(port), DATA_DIR: dataDir });
    try {
      const res = await withServerOutput(server, eventually(() => health(port), 90000, 'embedded /health'));
      expect(res.status).toBe(200);
      expect(res.body.details.database.target).toMatch(/embedded PGlite/);
      expect(res.body.details.log.target).toMatch(/embedded log/);

      // MySocialMedia works on the embedded parts too: command → log → projection → query.
      const token = signToken(DEV_JWT_SECRET, 'alice');
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`http://127.0.0.1:${port}/social/posts`, { method: 'POST', headers, body: JSON.stringify({ text: 'embedded' }) });
      expect(created.status).toBe(201);
      const { postId } = (await created.json()) as { postId: string };
      // Concurrent connections share one PGlite session: none of them may see another's statements.
      const likes = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fetch(`http://127.0.0.1:${port}/social/posts/${postId}/like`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${signToken(DEV_JWT_SECRET, `fan-${i}`)}` },
          }).then((r) => r.status),
        ),
      );
      expect(likes).toEqual(Array(30).fill(204));
      const post = await eventually(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/social/posts/${postId}`);
        const body = r.status === 200 ? ((await r.json()) as { likes: number }) : undefined;
        return body?.likes === 30 ? body : undefined;
      }, 30000, 'the likes in the embedded read model');
      expect(post).toMatchObject({ postId, authorId: 'alice', text: 'embedded', likes: 30, comments: 0 });

      const started = Date.now();
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10000);
    } finally {
      server.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('on real Kafka and PostgreSQL', () => {
    let db: TestDatabase;
    beforeAll(async () => (db = await createTestDatabase()));
    afterAll(async () => db.drop());

    it('uses KAFKA_BROKERS and DATABASE_URL and reports both in /health', async () => {
      const port = await freePort();
      const server = spawnNode(MAIN, {
        PORT: String(port),
        DATABASE_URL: db.url,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        KAFKA_TOPIC_PREFIX: topicPrefix('srv'),
        MIGRATE_ON_START: 'true',
      });
      try {
        const res = await withServerOutput(server, eventually(() => health(port), 60000, 'real /health'));
        expect(res.status).toBe(200);
        expect(res.body.details.database).toEqual({ status: 'up', target: expect.stringContaining(`/${db.name}`) });
        expect(res.body.details.log).toEqual({ status: 'up', target: `Kafka ${KAFKA_BROKERS.join(',')}` });
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(metrics).toContain('streamfold_process_cpu_user_seconds_total');
        // Idle connections outlive a load balancer's 60 s idle timeout, so the server never closes one first.
        const keepAlive = await new Promise<string | undefined>((resolve, reject) =>
          get({ port, path: '/health', agent: new Agent({ keepAlive: true }) }, (r) => (r.resume(), resolve(r.headers['keep-alive'] as string | undefined))).on('error', reject),
        );
        expect(keepAlive).toBe('timeout=65');
        server.child.kill('SIGTERM');
        expect((await server.exited).code).toBe(0);
      } finally {
        server.child.kill('SIGKILL');
      }
    });

    it('fails with one clear line when DATABASE_URL points nowhere', async () => {
      const server = spawnNode(MAIN, { PORT: String(await freePort()), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      const { code } = await server.exited;
      expect(code).toBe(1);
      const lines = server.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^streamfold: cannot use PostgreSQL at 127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    });

    it('fails with one clear line for an invalid variable', async () => {
      const server = spawnNode(MAIN, { PORT: 'eighty' });
      expect((await server.exited).code).toBe(1);
      expect(server.stderr().trim()).toBe('streamfold: PORT must be an integer, got "eighty"');
    });
  });
});
