import { PipeTransform } from '@nestjs/common';
import { invalidField } from '../http/api-error';
import { IDEMPOTENCY_KEY_MAX } from '../http/idempotency-key';

/**
 * Pipe for a mutation's optional `idempotencyKey` argument, the GraphQL twin of the
 * `Idempotency-Key` header: blank means none, longer than 200 characters is a 400 naming it.
 * `@Args('idempotencyKey', { nullable: true }, idempotencyKeyArg) key?: string`
 */
export const idempotencyKeyArg: PipeTransform<unknown, string | undefined> = {
  transform(value: unknown): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    if (value.length > IDEMPOTENCY_KEY_MAX) throw invalidField('idempotencyKey', `idempotencyKey must be at most ${IDEMPOTENCY_KEY_MAX} characters`);
    return value;
  },
};
