import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Infrastructure, StreamfoldConfig } from '@streamfold/runtime';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { startInfrastructure } from './boot';

export interface Server {
  app: NestExpressApplication;
  infra: Infrastructure;
  url: string;
  close(): Promise<void>;
}

/** Opens the infrastructure and serves HTTP: used by main.ts and by the end-to-end tests. */
export async function startServer(
  config: StreamfoldConfig,
  options: { logger?: boolean; schema?: 'apply' | 'check' | 'skip' } = {},
): Promise<Server> {
  const infra = await startInfrastructure(config, { schema: options.schema });
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.register(infra), {
      bufferLogs: true,
      abortOnError: false,
      logger: options.logger === false ? false : undefined,
    });
    if (options.logger !== false) app.useLogger(app.get(Logger));
    app.useBodyParser('json', { limit: '64kb' });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    const docs = new DocumentBuilder()
      .setTitle('Streamfold')
      .setDescription('Event-sourced CQRS on Kafka: commands, queries and operations')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs));
    await app.listen(config.port, '0.0.0.0');
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return {
      app,
      infra,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        await infra.close();
      },
    };
  } catch (error) {
    await infra.close();
    throw error;
  }
}
