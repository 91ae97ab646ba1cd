import { Body, Controller, Get, HttpException, INestApplication, Post, Query, UnauthorizedException, ValidationPipe } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerException } from '@nestjs/throttler';
import { RuleViolated, ValidationFailed } from '@streamfold/core';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min } from 'class-validator';
import request from 'supertest';
import { validationExceptionFactory } from './api-error';
import { DomainExceptionFilter } from './domain-exception.filter';
import { UnavailableFilter } from './unavailable.filter';

class Text {
  @IsString() text: string;
}
class Limit {
  @Type(() => Number) @IsInt() @Min(1) limit: number;
}

@Controller()
class ErrorsController {
  @Post('text') text(@Body() body: Text) { return body; }
  @Get('limit') limit(@Query() q: Limit) { return q; }
  @Get('token') token() { throw new UnauthorizedException('missing bearer token'); }
  @Get('slow-down') slowDown() { throw new ThrottlerException('too many write requests'); }
  @Get('field') field() { throw new ValidationFailed('text', 'must not be empty'); }
  @Get('rule') rule() { throw new RuleViolated('post_deleted', 'post was deleted'); }
  @Get('down') down() { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); }
  @Get('bug') bug() { throw new Error('secret internals'); }
  @Get('partly') partly() { throw new HttpException({ statusCode: 429, error: 'back_pressure', message: 'resend after the first `accepted`', accepted: 40, total: 100, nested: { no: 1 } }, 429); }
}

// Every error, whoever raises it, reaches the client in the one ApiError shape of the OpenAPI document.
describe('the one error body', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ErrorsController],
      providers: [{ provide: APP_FILTER, useClass: UnavailableFilter }, { provide: APP_FILTER, useClass: DomainExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationExceptionFactory }));
    await app.init();
  });
  afterAll(() => app.close());
  const http = () => request(app.getHttpServer());

  it('names the field at fault in validation errors, from class-validator or the domain', async () => {
    expect((await http().post('/text').send({ text: 42 })).body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'text must be a string', field: 'text' });
    expect((await http().post('/text').send({ text: 'x', extra: 1 })).body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'property extra should not exist', field: 'extra' });
    expect((await http().get('/limit?limit=0')).body).toMatchObject({ statusCode: 400, error: 'validation_failed', field: 'limit' });
    expect((await http().get('/field')).body).toEqual({ statusCode: 400, error: 'validation_failed', message: 'text: must not be empty', field: 'text' });
  });

  it('gives auth, rate-limit, routing, parsing and domain errors a stable code and a message', async () => {
    expect((await http().get('/token')).body).toEqual({ statusCode: 401, error: 'unauthorized', message: 'missing bearer token' });
    expect((await http().get('/slow-down')).body).toEqual({ statusCode: 429, error: 'rate_limited', message: 'too many write requests' });
    expect((await http().get('/nowhere')).body).toEqual({ statusCode: 404, error: 'not_found', message: 'Cannot GET /nowhere' });
    const malformed = await http().post('/text').set('content-type', 'application/json').send('{"text":');
    expect(malformed.body).toMatchObject({ statusCode: 400, error: 'bad_request', message: expect.stringMatching(/JSON/) });
    expect((await http().get('/rule')).body).toEqual({ statusCode: 422, error: 'post_deleted', message: 'post was deleted' });
  });

  it('keeps the scalar details of a body already in the shape (a 429 saying how many items were taken)', async () => {
    expect((await http().get('/partly')).body).toEqual({ statusCode: 429, error: 'back_pressure', message: 'resend after the first `accepted`', accepted: 40, total: 100 });
  });

  it('answers 503 with Retry-After when storage is down, and a bug as a 500 that leaks nothing', async () => {
    const down = await http().get('/down');
    expect([down.status, down.headers['retry-after'], down.body.error]).toEqual([503, '2', 'unavailable']);
    expect((await http().get('/bug')).body).toEqual({ statusCode: 500, error: 'internal_error', message: 'Internal server error' });
  });
});
