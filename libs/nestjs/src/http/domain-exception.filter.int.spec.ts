import { Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConcurrencyConflict, InvalidEventPayload, RuleViolated } from '@streamfold/core';
import request from 'supertest';
import { DomainExceptionFilter } from './domain-exception.filter';


@Controller()
class ThrowingController {
  @Post('conflict')
  conflict() {
    throw new ConcurrencyConflict('post-1', 3, 4);
  }
  @Post('rule')
  rule() {
    throw new RuleViolated('post_deleted', 'post was deleted');
  }
  @Post('payload')
  payload() {
    throw new InvalidEventPayload('shop.OrderPlaced: total is required');
  }
  @Post('bug')
  bug() {
    throw new Error('boom');
  }
}

describe('DomainExceptionFilter', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ThrowingController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new DomainExceptionFilter());
    await app.init();
  });
  afterAll(() => app.close());

  it('maps domain errors to their status with a stable code and a clear message', async () => {
    const conflict = await request(app.getHttpServer()).post('/conflict');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ statusCode: 409, error: 'concurrency_conflict', message: 'stream post-1 is at version 4, expected 3; reload and retry' });
    expect((await request(app.getHttpServer()).post('/rule')).body).toEqual({ statusCode: 422, error: 'post_deleted', message: 'post was deleted' });
    expect((await request(app.getHttpServer()).post('/payload')).body).toMatchObject({ statusCode: 400, error: 'invalid_event_payload' });
    expect((await request(app.getHttpServer()).post('/bug')).status).toBe(500);
  });
});
