import './paths';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { exitOnStartupError, readConfig, startInfrastructure } from './boot';

const SHUTDOWN_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  const config = readConfig();
  const infra = await startInfrastructure(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(infra), { bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useBodyParser('json', { limit: '256kb' });
  const docs = new DocumentBuilder()
    .setTitle('Streamfold')
    .setDescription('Event-sourced CQRS on Kafka: commands, queries and operations')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs));
  await app.listen(config.port, '0.0.0.0');
  const { database, log } = infra.description;
  logger.log(`listening on :${config.port} (database: ${database}; log: ${log})`, 'Streamfold');

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
    await app.close();
    await infra.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch(exitOnStartupError);
