import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { Public } from '@streamfold/auth';
import { ApiError } from './api-error';
import { IDEMPOTENCY_KEY_MAX } from './idempotency-key';

/** The error statuses an operation can document with `ApiErrors`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503;

/** A status with its generic meaning, or with a description of what it means for this operation. */
export type ErrorSpec = ErrorStatus | { status: ErrorStatus; description: string };

/** Name of the bearer scheme in `components.securitySchemes` (declared once by `startServer`). */
export const BEARER_SCHEME = 'bearer';

const MEANING: Record<ErrorStatus, string> = {
  400: 'Invalid input (body, path or query); `field` names the one at fault. Nothing was changed.',
  401: 'The bearer token is missing, malformed, expired or not signed by this service.',
  403: 'The caller may not do this (another user’s resource, or a missing role).',
  404: 'The addressed resource does not exist.',
  409: 'Another writer changed the resource at the same time; reload and retry.',
  413: 'The request body is larger than the server accepts (64 kB).',
  422: 'A domain rule refused the request; `error` names the rule.',
  429: 'Too many write requests for this user; retry after the Retry-After delay.',
  503: 'Storage is unavailable; nothing was stored. Retry after the Retry-After delay.',
};

const RETRY_AFTER = {
  'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
} as const;

/**
 * Documents error responses with the one `ApiError` body, e.g. `@ApiErrors(400, 404, 422)`;
 * 429 and 503 carry the Retry-After header. Pass `{ status, description }` to say what a status
 * means for this operation.
 */
export function ApiErrors(...errors: ErrorSpec[]): MethodDecorator & ClassDecorator {
  const specs = errors.map((e) => (typeof e === 'number' ? { status: e, description: MEANING[e] } : e));
  return applyDecorators(
    ApiExtraModels(ApiError),
    ...specs.map(({ status, description }) =>
      ApiResponse({
        status,
        description,
        content: { 'application/json': { schema: { $ref: getSchemaPath(ApiError) } } },
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      }),
    ),
  );
}

/** What every operation states: a client method name, a one-line summary, the errors beyond the defaults. */
export interface ApiOperationSpec {
  /** camelCase verb phrase, unique across every context: the generated client's method (`likePost`). */
  operationId: string;
  /** One line in the imperative (`Like a post`). */
  summary: string;
  /** Longer explanation (idempotency, consistency), when the summary is not enough. */
  description?: string;
  /** Errors this operation can answer besides the defaults of its kind. */
  errors?: ErrorSpec[];
}

/** Options of `ApiCommand`. */
export interface ApiCommandSpec extends ApiOperationSpec {
  /** Accepts an `Idempotency-Key` header, read with `@IdempotencyKey()` (retrying with the same key creates nothing new). @default false */
  idempotencyKey?: boolean;
  /** The JSON body's DTO: documents it and the 413 of a body over the size limit. */
  body?: Type<unknown>;
}

/** Options of `ApiRead`. */
export interface ApiReadSpec extends ApiOperationSpec {
  /** Readable without a token: applies `@Public()` and documents `security: []`. @default false */
  public?: boolean;
}

/**
 * A write (POST, PUT, DELETE) that sends a command: requires the bearer token and documents
 * 400 (input), 401 (token), 429 (per-user write rate limit) and 503 (store unavailable) besides
 * `errors`. Commands are never public: every write has an actor.
 */
export function ApiCommand(spec: ApiCommandSpec): MethodDecorator {
  return applyDecorators(
    ApiOperation({ operationId: spec.operationId, summary: spec.summary, description: spec.description }),
    ...(spec.idempotencyKey
      ? [ApiHeader({ name: 'Idempotency-Key', required: false, description: 'retrying with the same key (per user) returns the first result and creates nothing new', schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX } })]
      : []),
    ...(spec.body ? [ApiBody({ type: spec.body })] : []),
    ApiErrors(400, 401, ...(spec.body ? [413 as const] : []), ...(spec.errors ?? []), 429, 503),
  );
}

/**
 * A read (GET) that sends a query: documents 503 besides `errors`, and 401 (required token, or
 * on a public route a token sent but invalid). Reads are not rate limited.
 */
export function ApiRead(spec: ApiReadSpec): MethodDecorator {
  const unauthorized: ErrorSpec = spec.public ? { status: 401, description: 'A bearer token was sent and is invalid (the route needs none).' } : 401;
  return applyDecorators(
    ...(spec.public ? [Public()] : []),
    ApiOperation({ operationId: spec.operationId, summary: spec.summary, description: spec.description, ...(spec.public ? { security: [] } : {}) }),
    ApiErrors(unauthorized, ...(spec.errors ?? []), 503),
  );
}
