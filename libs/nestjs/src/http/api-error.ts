import { BadRequestException, HttpException, HttpStatus, ValidationError } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The one body of every error response (4xx and 5xx): domain errors, validation, auth, the rate
 * limit and an unavailable store all answer with it, so a client parses errors one way.
 */
export class ApiError {
  /** The HTTP status, repeated so a logged body stands alone. */
  @ApiProperty({ example: 422, description: 'the HTTP status, repeated in the body' })
  statusCode: number;

  /** Stable machine-readable code, e.g. `post_deleted`, `validation_failed`, `unauthorized`. */
  @ApiProperty({ example: 'post_deleted', description: 'stable machine-readable code; branch on this, not on the message' })
  error: string;

  /** Human-readable explanation; wording may change between releases. */
  @ApiProperty({ example: 'post 0b6f… was deleted', description: 'human-readable explanation; may change between releases' })
  message: string;

  /** The request field at fault (body property, path or query parameter), when one is. */
  @ApiPropertyOptional({ example: 'text', description: 'the request field at fault (body property, path or query parameter), when there is one' })
  field?: string;
}

/** Codes of errors that no domain rule names (auth, routing, limits), by HTTP status. */
const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'unavailable',
};

/** The stable code of a status that carries no domain code (`rate_limited` for 429). */
export function errorCodeOf(status: number): string {
  return STATUS_CODES[status] ?? (HttpStatus[status] ?? 'error').toLowerCase();
}

/**
 * Nest's HttpException body (`{ statusCode, message, error: 'Bad Request' }`, message possibly an
 * array) in the one shape. A body already in the shape (e.g. built by `invalidField`, or a 429
 * that says how many items were `accepted`) is kept with its scalar extras: our code built it.
 */
export function toApiError(exception: HttpException): ApiError {
  const status = exception.getStatus();
  const raw = exception.getResponse();
  const body = (typeof raw === 'object' && raw !== null ? raw : { message: raw }) as Record<string, unknown>;
  const message = Array.isArray(body.message) ? body.message.join('; ') : String(body.message ?? exception.message);
  const coded = typeof body.error === 'string' && /^[a-z][a-z0-9_]*$/.test(body.error);
  const extras = coded ? Object.fromEntries(Object.entries(body).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))) : {};
  const error: ApiError = { ...extras, statusCode: status, error: coded ? (body.error as string) : errorCodeOf(status), message };
  if (typeof body.field === 'string') error.field = body.field;
  return error;
}

/** A 400 naming the field at fault, in the one error shape (`validation_failed`). */
export function invalidField(field: string, message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'validation_failed', message, field } satisfies ApiError);
}

/**
 * `ValidationPipe({ exceptionFactory })`: class-validator's findings as one 400 that names the
 * first field at fault and lists every message, instead of Nest's array of strings.
 */
export function validationExceptionFactory(errors: ValidationError[]): BadRequestException {
  const found = errors.flatMap((e) => flatten(e, ''));
  const first = found[0] ?? { field: 'body', messages: ['invalid input'] };
  return invalidField(first.field, found.flatMap((f) => f.messages).join('; ') || 'invalid input');
}

function flatten(error: ValidationError, prefix: string): Array<{ field: string; messages: string[] }> {
  const field = prefix ? `${prefix}.${error.property}` : error.property;
  const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
  return [...own, ...(error.children ?? []).flatMap((c) => flatten(c, field))];
}
