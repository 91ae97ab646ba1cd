import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { DomainError, InvalidEventPayload } from '@streamfold/core';
import { throwError } from 'rxjs';

/** The JSON body of every domain error response. */
export interface DomainErrorBody {
  statusCode: number;
  /** The error's stable code, e.g. "concurrency_conflict". */
  error: string;
  message: string;
}

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
    host.switchToHttp().getResponse().status(body.statusCode).json(body);
    return undefined;
  }
}

/** Maps a domain error to its response body (InvalidEventPayload: 400 `invalid_event_payload`). */
export function toDomainErrorBody(exception: DomainError | InvalidEventPayload): DomainErrorBody {
  if (exception instanceof DomainError) return { statusCode: exception.status, error: exception.code, message: exception.message };
  return { statusCode: 400, error: 'invalid_event_payload', message: exception.message };
}
