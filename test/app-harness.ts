import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@streamfold/auth';
import { bearer, createStreamfoldClient, StreamfoldClient } from '@streamfold/client';
import { EVENT_STORE, EventStore, PostgresEventStore } from '@streamfold/eventstore';
import { ProjectionRegistry, RelayWorker, Server, startServer } from '@streamfold/nestjs';
import { loadConfig } from '@streamfold/runtime';
import { AppModule } from '../apps/streamfold/src/app.module';
import { HOST_DEFAULTS } from '../apps/streamfold/src/host-defaults';
import { createTestDatabase, deleteTopics, eventually, KAFKA_BROKERS, TestDatabase, topicPrefix } from './e2e-env';
import { compareSequence } from '@streamfold/core';

export interface TestApp {
  server: Server;
  url: string;
  db: TestDatabase;
  prefix: string;
  /** This app's lake folder (written when started with `{ sink: true }`), deleted by close(). */
  lakeDir: string;
  store: EventStore;
  token(userId: string, options?: { admin?: boolean }): string;
  /** The generated client (@streamfold/client) of this host: typed paths, bodies and errors. */
  api: StreamfoldClient;
  /** `headers` of one `api` call made as this user: `app.api.PUT(path, { params, ...app.as('fan-1') })`. */
  as(userId: string, options?: { admin?: boolean }): { headers: { authorization: string } };
  /** Every appended event relayed to Kafka and folded by every projection. */
  settle(timeoutMs?: number): Promise<void>;
  /** A raw request, for what the typed client cannot send (e.g. malformed JSON). */
  request(method: string, path: string, options?: { user?: string; body?: unknown; raw?: string; admin?: boolean; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

const JWT_SECRET = 'e2e-secret-0123456789abcdef';

/**
 * The whole host in this process, on real Kafka and a fresh PostgreSQL database. The lake sink
 * runs only when asked (`{ sink: true }`): the other tests do not read the lake, and its CPU on a
 * shared machine would slow their timing-sensitive checks (the rate-limit window). `env` overrides
 * settings (e.g. a small RATE_LIMIT_WRITES, so a test reaches the limit whatever the machine's load).
 */
export async function startTestApp(label = 'app', options: { sink?: boolean; env?: Record<string, string> } = {}): Promise<TestApp> {
  const db = await createTestDatabase(`sf_${label}`);
  const prefix = topicPrefix(label);
  const config = loadConfig({
    DATABASE_URL: db.url,
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    PORT: '0',
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: '20',
    PROCESS_ROLES: options.sink ? 'api,relay,projections,sink' : 'api,relay,projections',
    // The reference host's adapter (Fastify) unless HTTP_ADAPTER names one: HTTP_ADAPTER=express npm run test:e2e.
    HTTP_ADAPTER: process.env.HTTP_ADAPTER || HOST_DEFAULTS.HTTP_ADAPTER,
    ...options.env,
  });
  // A lake of its own, so tests never write into the repository's .data/lake nor read each other's.
  const lakeDir = mkdtempSync(join(tmpdir(), `lake-${label}-`));
  const server = await startServer(AppModule, { config, logger: false, schema: 'apply', lake: { dir: lakeDir, flushMs: 200, compactEveryMs: 0 } });
  const store = server.app.get<EventStore>(EVENT_STORE);
  const token = (userId: string, o: { admin?: boolean } = {}) => signToken(JWT_SECRET, userId, { roles: o.admin ? ['admin'] : [] });
  return {
    server,
    url: server.url,
    db,
    prefix,
    lakeDir,
    store,
    token,
    api: createStreamfoldClient(server.url),
    as: (userId, o) => ({ headers: bearer(token(userId, o)) }),
    async settle(timeoutMs = 30000) {
      // "Relay idle" is not enough: the gap-safe reader cannot see commits above the cluster's
      // oldest open transaction yet. Wait until it published the last committed event.
      const relay = server.app.get(RelayWorker).relay;
      const head = await server.app.get(PostgresEventStore).lastCommitted();
      if (head) {
        await eventually(async () => {
          relay.wake();
          const published = relay.publishedUpTo();
          return published && compareSequence(published, head) >= 0 ? true : undefined;
        }, timeoutMs, `relay to publish up to ${head.txId}:${head.position}`);
      }
      await server.app.get(ProjectionRegistry).waitUntilCaughtUp(timeoutMs);
    },
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.user) headers.authorization = `Bearer ${token(o.user, { admin: o.admin })}`;
      if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${server.url}${path}`, { method, headers, body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)) });
      const text = await res.text();
      let body: any = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body };
    },
    async close() {
      await server.close();
      await db.drop();
      await deleteTopics(prefix);
      rmSync(lakeDir, { recursive: true, force: true });
    },
  };
}
