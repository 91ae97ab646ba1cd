import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A large-transaction alert of the caller (the `bank_alerts` read model). Money as decimal strings, never floats. */
@ObjectType('BankAlert')
export class AlertType {
  @Field() alertId: string;
  @Field() transactionId: string;
  @Field({ description: 'decimal string, e.g. "1500.00"' }) amount: string;
  @Field() currency: string;
  @Field({ description: 'the threshold in force when the transaction happened' }) threshold: string;
  @Field({ description: 'event time of the transaction' }) transactionAt: string;
  @Field() detectedAt: string;
}

/** One active threshold of the caller. */
@ObjectType('BankThreshold')
export class ThresholdType {
  @Field() currency: string;
  @Field({ description: 'decimal string, e.g. "1000.00"' }) amount: string;
}

/** `limit` of myAlerts: the same bounds as REST's `?limit=`. */
@ArgsType()
export class AlertsArgs {
  @Field(() => Int, { defaultValue: 50, description: '1 to 500' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;
}

/**
 * A threshold's currency and amount. The shapes are checked here as for REST's bodies; the
 * rules (known currency, positive, the currency's decimals) are the decider's, which names the field.
 */
@ArgsType()
export class ThresholdArgs {
  @Field({ description: 'ISO 4217 code: USD, EUR, GBP, CHF or JPY' })
  @IsString()
  @MaxLength(8)
  currency: string;

  @Field({ description: 'decimal string in the currency’s unit; positive (money never travels as a float)' })
  @IsString()
  @MaxLength(40)
  amount: string;
}

/** The currency whose threshold is disabled. */
@ArgsType()
export class CurrencyArgs {
  @Field({ description: 'ISO 4217 code' })
  @IsString()
  @MaxLength(8)
  currency: string;
}

/** Whose alerts a subscription follows: the caller's own unless given (only an admin may give another's). */
@ArgsType()
export class AlertWatchArgs {
  @Field({ nullable: true, description: 'defaults to the signed-in user; another user’s id is refused (forbidden) unless the caller is an admin' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  userId?: string;
}
