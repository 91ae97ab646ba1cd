import './paths';
import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { exitOnStartupError, readConfig } from './boot';
import { startServer } from './server';

const SHUTDOWN_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  const config = readConfig();
  const server = await startServer(config);
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
}

main().catch(exitOnStartupError);
