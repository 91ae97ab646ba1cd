import { DynamicModule, Type } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { exitOnStartupError } from './boot';
import { ServerOptions, startServer } from './server';

/** @default 8000: past it a stuck shutdown exits 1 instead of hanging the orchestrator. */
const SHUTDOWN_DEADLINE_MS = 8000;

/**
 * The `main.ts` of a Streamfold service: starts the server, prints one line on a startup error
 * (exit 1), and on SIGTERM/SIGINT stops consumers, flushes producers and closes pools (exit 0).
 */
export function runServer(appModule: Type<unknown> | DynamicModule, options: ServerOptions = {}): void {
  void (async () => {
    const server = await startServer(appModule, options);
    const logger = server.app.get(Logger);
    const { database, log } = server.infra.description;
    logger.log(`listening on ${server.url} (database: ${database}; log: ${log}); API docs at /docs`, 'Streamfold');
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: stopping consumers, flushing producers, closing pools`, 'Streamfold');
      const deadline = setTimeout(() => {
        process.stderr.write(`streamfold: shutdown took longer than ${SHUTDOWN_DEADLINE_MS}ms, exiting\n`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      await server.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  })().catch(exitOnStartupError);
}
