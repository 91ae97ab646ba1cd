/**
 * Errors that a client caused. One exception filter maps them to HTTP: the status is part of
 * the error, so deciders stay free of HTTP and NestJS.
 */
export abstract class DomainError extends Error {
  abstract readonly status: 400 | 403 | 404 | 409 | 422 | 429;
  /** Stable machine-readable code, e.g. "post_deleted". */
  abstract readonly code: string;
}

/** A command or query argument is invalid (400); names the field. */
export class ValidationFailed extends DomainError {
  readonly status = 400;
  readonly code = 'validation_failed';
  constructor(readonly field: string, reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** The caller may not do this to the resource (403), e.g. delete another author's post. */
export class Forbidden extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The addressed resource does not exist (404). */
export class NotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** Another writer appended to the stream first. */
export class ConcurrencyConflict extends DomainError {
  readonly status = 409;
  readonly code = 'concurrency_conflict';
  constructor(readonly streamId: string, readonly expected: ExpectedVersionDescription, readonly actual: number) {
    super(`stream ${streamId} is at version ${actual}, expected ${expected}; reload and retry`);
  }
}

/**
 * A command id (a client's idempotency key) came back with other input than its first use. A
 * retry must repeat the request exactly; a new request needs a new key.
 */
export class IdempotencyKeyReused extends DomainError {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';
  constructor(readonly commandId: string) {
    super(`idempotency key ${JSON.stringify(commandId)} was already used for a request with different content; retry with the same content, or use a new key for a new request`);
  }
}

/** The expected version as a ConcurrencyConflict reports it (`'no stream'` for `no_stream`). */
export type ExpectedVersionDescription = number | 'any' | 'no stream';

/** A rule of the domain refused the command (e.g. "post was deleted"). */
export class RuleViolated extends DomainError {
  readonly status = 422;
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
