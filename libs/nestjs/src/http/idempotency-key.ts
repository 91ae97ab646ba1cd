import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { invalidField } from './api-error';

/** Longest `Idempotency-Key` accepted; it becomes part of a stored command id. */
export const IDEMPOTENCY_KEY_MAX = 200;

/**
 * The request's `Idempotency-Key` header, or undefined when absent or blank (as handlers always
 * treated it); 400 naming the header when it is longer than 200 characters. Pair it with `@ApiCommand({ idempotencyKey: true })`, which documents
 * the header once (Nest's own `@Headers()` would document it a second time, in lower case).
 */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const value: unknown = ctx.switchToHttp().getRequest().headers?.['idempotency-key'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (value.length > IDEMPOTENCY_KEY_MAX) throw invalidField('Idempotency-Key', `Idempotency-Key must be at most ${IDEMPOTENCY_KEY_MAX} characters`);
  return value;
});
