import { NotFound, ValidationFailed } from '@streamfold/core';
import { CURRENCIES } from './money';

/** 400s naming the field, raised before anything is stored (invariant 8). */
export const ThresholdInvalid = {
  becauseUnknownCurrency: (currency: string) => new ValidationFailed('currency', `unknown currency "${currency}"; known: ${Object.keys(CURRENCIES).join(', ')}`),
  becauseNotDecimal: () => new ValidationFailed('amount', 'must be a decimal string such as "1000.00" (never a float)'),
  becauseNotPositive: (amount: string) => new ValidationFailed('amount', `must be positive, got ${amount}`),
  becauseTooPrecise: (amount: string, currency: string) => new ValidationFailed('amount', `${amount} has more decimals than ${currency} allows (${CURRENCIES[currency]})`),
  becauseAlreadyActive: (currency: string, amount: string) =>
    new ValidationFailed('currency', `a ${currency} threshold of ${amount} is already active (at most one per currency); change it with PUT /bank/thresholds/${currency}`),
};

export const ThresholdNotFound = {
  forCurrency: (currency: string) => new NotFound(`no active ${currency} threshold`),
};
