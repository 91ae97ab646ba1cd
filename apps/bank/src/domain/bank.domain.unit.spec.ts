import { NotFound, ValidationFailed } from '@streamfold/core';
import { deciderSpec, fixedContext } from '@streamfold/testing';
import { BankEventType as T, ThresholdEvent } from './bank.events';
import { compareDecimal, normalizeAmount, toMinorUnits } from './money';
import { thresholdsDecider } from './thresholds.decider';

const at = fixedContext().now.toISOString();
const enabled = (currency: string, amount: string): ThresholdEvent => ({ type: T.ThresholdEnabled, data: { userId: 'u1', currency, amount, at } });
const field = (name: string) => (error: unknown) => error instanceof ValidationFailed && error.field === name;

describe('thresholds decider (stream user-settings-<user>)', () => {
  const spec = deciderSpec(thresholdsDecider);

  it('enables a threshold with the canonical amount and the time it was set', () => {
    spec.when({ type: 'EnableThreshold', userId: 'u1', currency: 'USD', amount: '1000' }).then([enabled('USD', '1000.00')]);
  });

  it('changes an active threshold, and setting the same amount again is a no-op', () => {
    spec.given([enabled('USD', '1000.00')]).when({ type: 'SetThreshold', userId: 'u1', currency: 'USD', amount: '500.5' }).then([
      { type: T.ThresholdChanged, data: { userId: 'u1', currency: 'USD', amount: '500.50', previousAmount: '1000.00', at } },
    ]);
    spec.given([enabled('USD', '1000.00')]).when({ type: 'SetThreshold', userId: 'u1', currency: 'USD', amount: '1000.00' }).then([]);
    spec.given([enabled('USD', '1000.00')]).when({ type: 'SetThreshold', userId: 'u1', currency: 'EUR', amount: '20' }).then([enabled('EUR', '20.00')]);
  });

  it('refuses a second active threshold for one currency, naming the currency field', () => {
    spec.given([enabled('USD', '1000.00')]).when({ type: 'EnableThreshold', userId: 'u1', currency: 'USD', amount: '5' }).thenThrows(field('currency'));
  });

  it.each([
    ['0', 'amount'],
    ['-5.00', 'amount'],
    ['1e3', 'amount'],
    ['10.001', 'amount'],
    ['', 'amount'],
  ])('refuses the amount %p with a 400 naming %s', (amount, name) => {
    spec.when({ type: 'SetThreshold', userId: 'u1', currency: 'USD', amount }).thenThrows(field(name));
  });

  it('refuses an unknown currency, and JPY amounts with decimals', () => {
    spec.when({ type: 'SetThreshold', userId: 'u1', currency: 'XXX', amount: '10' }).thenThrows(field('currency'));
    spec.when({ type: 'SetThreshold', userId: 'u1', currency: 'JPY', amount: '10.5' }).thenThrows(field('amount'));
  });

  it('disables an active threshold; disabling none is a 404', () => {
    spec.given([enabled('USD', '1000.00')]).when({ type: 'DisableThreshold', userId: 'u1', currency: 'USD' }).then([
      { type: T.ThresholdDisabled, data: { userId: 'u1', currency: 'USD', at } },
    ]);
    spec.when({ type: 'DisableThreshold', userId: 'u1', currency: 'USD' }).thenThrows(NotFound);
    spec
      .given([enabled('USD', '1000.00'), { type: T.ThresholdDisabled, data: { userId: 'u1', currency: 'USD', at } }])
      .when({ type: 'EnableThreshold', userId: 'u1', currency: 'USD', amount: '7' })
      .then([enabled('USD', '7.00')]);
  });
});

describe('money as decimal strings', () => {
  it('compares exactly, whatever the number of decimals, beyond float precision', () => {
    expect(compareDecimal('1000.01', '1000.0')).toBe(1);
    expect(compareDecimal('1000', '1000.00')).toBe(0);
    expect(compareDecimal('999999999999999.99', '999999999999999.98')).toBe(1);
    expect(compareDecimal('-1', '0')).toBe(-1);
  });

  it('converts to minor units of the currency, refusing extra precision', () => {
    expect(toMinorUnits('12.34', 'USD')).toBe('1234');
    expect(toMinorUnits('12', 'JPY')).toBe('12');
    expect(toMinorUnits('12.345', 'USD')).toBeNull();
    expect(normalizeAmount('0.5', 'EUR')).toBe('0.50');
    expect(normalizeAmount('-3', 'USD')).toBe('-3.00');
  });
});
