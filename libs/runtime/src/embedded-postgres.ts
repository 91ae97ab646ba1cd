import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { guardPgliteProtocol } from './pglite-protocol-guard';
import { StartupError } from './startup-error';
import { join } from 'node:path';

/**
 * Embedded PostgreSQL for the zero-configuration default: PGlite (Postgres compiled to WASM)
 * served on a loopback port by pglite-socket, so the same `pg` code path runs unchanged.
 * PGlite runs one transaction at a time: an open transaction queues every other connection.
 */
export class EmbeddedPostgres {
  private constructor(
    readonly url: string,
    private readonly stopFn: () => Promise<void>,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const dir = join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    const lock = join(dataDir, 'pglite.pid');
    holdLock(lock);
    // Dynamic imports: these packages are only loaded on the embedded default.
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(dir);
    // More than 1: with the default of 1 a second pool connection is dropped.
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 64 });
    guardPgliteProtocol(server);
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    return new EmbeddedPostgres(url, async () => {
      await server.stop();
      await db.close();
      rmSync(lock, { force: true });
    });
  }

  async stop(): Promise<void> {
    await this.stopFn();
  }
}

/** PGlite files must have one owner: a second process on the same folder would corrupt them. */
function holdLock(lock: string): void {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new StartupError(`embedded database ${lock.replace(/pglite\.pid$/, 'pglite')} is in use by process ${pid}; stop it or set DATABASE_URL`);
    }
  } catch (error) {
    if (error instanceof StartupError) throw error;
  }
  writeFileSync(lock, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
