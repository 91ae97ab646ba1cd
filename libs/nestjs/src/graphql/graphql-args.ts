import { ArgsType, Field } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IDEMPOTENCY_KEY_MAX } from '../http/idempotency-key';

/**
 * Base of a mutation's arguments that takes an `idempotencyKey`, the GraphQL twin of the
 * `Idempotency-Key` header (same 200-character bound, checked by the global ValidationPipe, so a
 * longer key is a `validation_failed` naming `idempotencyKey`). Extend it with the mutation's own
 * arguments in one `@ArgsType()`: the pipe validates one arguments object per resolver, and
 * arguments split over several `@Args()` would be refused as unknown properties.
 */
@ArgsType()
export class IdempotentArgs {
  @Field({ nullable: true, description: 'like the Idempotency-Key header: a retry with the same key and input changes nothing' })
  @IsOptional()
  @IsString()
  @MaxLength(IDEMPOTENCY_KEY_MAX)
  idempotencyKey?: string;
}

/** The key to pass to a command: a blank key means none, as for the HTTP header. */
export function idempotencyKeyOf(args: IdempotentArgs): string | undefined {
  return args.idempotencyKey?.trim() ? args.idempotencyKey : undefined;
}
