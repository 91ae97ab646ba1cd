import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { Observable, throwError } from 'rxjs';
import { ApiError, errorCodeOf, toApiError } from './api-error';
import { HttpReply, replySent, sendJson, setReplyHeader } from './http-reply';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
// PostgreSQL SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator intervention: shutdown).
const SQLSTATE = /^(08|53|57P)/;
const MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connection (is )?closed|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** Whether an error means "the database (or another dependency) cannot be reached right now". */
export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
  return typeof e.message === 'string' && MESSAGES.test(e.message);
}

/**
 * A command that cannot be stored is answered 503 with Retry-After, quickly, instead of a 500 or
 * a hung request: nothing was accepted, so the client may safely retry. Every other HTTP error
 * that no narrower filter took (Nest's HttpExceptions: auth, validation, rate limit, routing;
 * body-parser errors; bugs as a logged 500) is answered in the one `ApiError` shape, so clients
 * and the OpenAPI document know a single error body.
 */
@Catch()
export class UnavailableFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Unavailable');

  override catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Reactions (the microservice transport) handle their own errors: retry, then dead-letter.
    if (host.getType() === 'rpc') return throwError(() => exception);
    // GraphQL shapes its own errors (formatGraphQLError, with the same codes as below).
    if (host.getType<string>() === 'graphql') throw exception;
    if (host.getType() !== 'http') return super.catch(exception, host);
    const res = host.switchToHttp().getResponse<HttpReply>();
    if (replySent(res)) return;
    if (!(exception instanceof HttpException) && isUnavailable(exception)) {
      this.logger.warn(`dependency unavailable: ${(exception as Error).message}`);
      setReplyHeader(res, 'Retry-After', '2');
      sendJson(res, 503, { statusCode: 503, error: 'unavailable', message: 'storage is unavailable; nothing was stored, retry later' } satisfies ApiError);
      return;
    }
    const body = bodyOf(exception);
    if (body.statusCode >= 500 && !(exception instanceof HttpException)) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    sendJson(res, body.statusCode, body);
  }
}

/** The error body of anything thrown: an HttpException, a body-parser error (`status`, `expose`), or a bug. */
function bodyOf(exception: unknown): ApiError {
  if (exception instanceof HttpException) return toApiError(exception);
  const e = exception as { status?: unknown; expose?: unknown; message?: unknown } | null;
  // body-parser's errors (malformed JSON 400, too large 413) are client errors with a safe message.
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return { statusCode: e.status, error: errorCodeOf(e.status), message: String(e.message) };
  }
  return { statusCode: 500, error: errorCodeOf(500), message: 'Internal server error' };
}
