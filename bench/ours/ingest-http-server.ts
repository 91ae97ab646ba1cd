import 'reflect-metadata';
import { Body, BadRequestException, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TelemetryProducer } from '@streamfold/eventstore';
import { KafkaMessageLog } from '@streamfold/messaging';
import { env } from '../lib/self';

/**
 * Stand-in for the MovieFlix show_position batch endpoint, which does not exist yet: a minimal
 * NestJS controller that takes a JSON array of heartbeats and publishes each through the framework's
 * TelemetryProducer (batched, back-pressured). 202 once every heartbeat of the request is enqueued.
 */
interface Heartbeat {
  userId: string;
  showId: string;
  positionSec: number;
  at: string;
}

const PRODUCER = Symbol('PRODUCER');
const TOPIC = 'show_position';

@Controller('movieflix')
class HeartbeatController {
  constructor(@Inject(PRODUCER) private readonly producer: TelemetryProducer) {}

  @Post('heartbeats')
  @HttpCode(202)
  async accept(@Body() body: Heartbeat[]): Promise<{ accepted: number }> {
    if (!Array.isArray(body) || body.length > 1000) throw new BadRequestException('body must be an array of at most 1000 heartbeats');
    for (const h of body) {
      if (typeof h?.userId !== 'string' || typeof h.showId !== 'string' || typeof h.positionSec !== 'number') throw new BadRequestException('bad heartbeat');
    }
    for (const h of body) await this.producer.publish(TOPIC, h.userId, 'movieflix.ShowPositionRecorded', { userId: h.userId, showId: h.showId, positionSec: h.positionSec }, h.at);
    return { accepted: body.length };
  }
}

async function main() {
  const log = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-ingest-http', prefix: env('PREFIX') });
  const producer = new TelemetryProducer(log);
  @Module({ controllers: [HeartbeatController], providers: [{ provide: PRODUCER, useValue: producer }] })
  class IngestModule {}
  const app = await NestFactory.create<NestExpressApplication>(IngestModule, { logger: false });
  app.useBodyParser('json', { limit: '1mb' });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${address.port}\n`);
  process.on('SIGTERM', () => {
    void (async () => {
      await app.close();
      await producer.close();
      await log.close();
      process.exit(0);
    })();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
