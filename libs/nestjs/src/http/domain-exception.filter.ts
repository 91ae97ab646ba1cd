import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { DomainError, InvalidEventPayload, ValidationFailed } from '@streamfold/core';
import { throwError } from 'rxjs';
import { ApiError } from './api-error';
import { HttpReply, sendJson } from './http-reply';

/** The JSON body of every domain error response: the one `ApiError` shape (`field` on ValidationFailed). */
export type DomainErrorBody = ApiError;

/**
 * The one place domain errors become HTTP: the status travels with the error, so deciders never
 * know about HTTP. A payload the event registry refuses is bad input as well (400), never a 500;
 * an unknown event type stays a 500: that is a bug in the decider, not the client's doing.
 * Register globally (`app.useGlobalFilters(new DomainExceptionFilter())` or APP_FILTER).
 */
@Catch(DomainError, InvalidEventPayload)
export class DomainExceptionFilter implements ExceptionFilter {
  catch(exception: DomainError | InvalidEventPayload, host: ArgumentsHost): unknown {
    // Reactions (the microservice transport) retry and dead-letter the error themselves.
    if (host.getType() === 'rpc') return throwError(() => exception);
    // Other transports (GraphQL) turn a returned exception into their own error shape.
    if (host.getType() !== 'http') return exception;
    const body = toDomainErrorBody(exception);
    sendJson(host.switchToHttp().getResponse<HttpReply>(), body.statusCode, body);
    return undefined;
  }
}

/** Maps a domain error to its response body (InvalidEventPayload: 400 `invalid_event_payload`; ValidationFailed names its `field`). */
export function toDomainErrorBody(exception: DomainError | InvalidEventPayload): DomainErrorBody {
  if (exception instanceof ValidationFailed) return { statusCode: 400, error: exception.code, message: exception.message, field: exception.field };
  if (exception instanceof DomainError) return { statusCode: exception.status, error: exception.code, message: exception.message };
  return { statusCode: 400, error: 'invalid_event_payload', message: exception.message };
}
