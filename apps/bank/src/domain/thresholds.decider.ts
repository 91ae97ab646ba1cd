import { assertNever, Decider } from '@streamfold/core';
import { ThresholdInvalid, ThresholdNotFound } from './bank.errors';
import { BankEventType as T, ThresholdEvent } from './bank.events';
import { compareDecimal, isDecimal, isKnownCurrency, normalizeAmount, toMinorUnits } from './money';

/**
 * Stream `user-settings-<userId>`: a user's alert thresholds, at most one active per currency.
 * The stream holds what the user did (enabled, changed, disabled at a time), never a state row,
 * so the alert processor can ask which threshold was in force when a transaction happened.
 */
export interface ThresholdsState {
  /** Active threshold amount per currency. */
  active: Record<string, string>;
}

export type ThresholdCommand =
  /** Enables a threshold; refused when one is already active for the currency. */
  | { type: 'EnableThreshold'; userId: string; currency: string; amount: string }
  /** Enables or changes (PUT semantics): setting the same amount again is a no-op. */
  | { type: 'SetThreshold'; userId: string; currency: string; amount: string }
  | { type: 'DisableThreshold'; userId: string; currency: string };

/** Checks the amount for the currency and returns its canonical form ("1000" USD → "1000.00"). */
function validAmount(currency: string, amount: string): string {
  if (!isKnownCurrency(currency)) throw ThresholdInvalid.becauseUnknownCurrency(currency);
  if (!isDecimal(amount)) throw ThresholdInvalid.becauseNotDecimal();
  if (toMinorUnits(amount, currency) === null) throw ThresholdInvalid.becauseTooPrecise(amount, currency);
  if (compareDecimal(amount, '0') <= 0) throw ThresholdInvalid.becauseNotPositive(amount);
  return normalizeAmount(amount, currency);
}

export const thresholdsDecider: Decider<ThresholdCommand, ThresholdEvent, ThresholdsState> = {
  initialState: () => ({ active: {} }),

  decide(command, state, { now }) {
    const at = now.toISOString();
    const { userId, currency } = command;
    switch (command.type) {
      case 'EnableThreshold': {
        const amount = validAmount(currency, command.amount);
        const current = state.active[currency];
        if (current !== undefined) throw ThresholdInvalid.becauseAlreadyActive(currency, current);
        return [{ type: T.ThresholdEnabled, data: { userId, currency, amount, at } }];
      }
      case 'SetThreshold': {
        const amount = validAmount(currency, command.amount);
        const current = state.active[currency];
        if (current === undefined) return [{ type: T.ThresholdEnabled, data: { userId, currency, amount, at } }];
        if (current === amount) return [];
        return [{ type: T.ThresholdChanged, data: { userId, currency, amount, previousAmount: current, at } }];
      }
      case 'DisableThreshold': {
        if (!isKnownCurrency(currency)) throw ThresholdInvalid.becauseUnknownCurrency(currency);
        if (state.active[currency] === undefined) throw ThresholdNotFound.forCurrency(currency);
        return [{ type: T.ThresholdDisabled, data: { userId, currency, at } }];
      }
      default:
        return assertNever(command, 'threshold command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case T.ThresholdEnabled:
      case T.ThresholdChanged:
        return { active: { ...state.active, [event.data.currency]: event.data.amount } };
      case T.ThresholdDisabled: {
        const { [event.data.currency]: _gone, ...rest } = state.active;
        return { active: rest };
      }
      default:
        return assertNever(event, 'threshold event');
    }
  },
};

export const userSettingsStreamId = (userId: string) => `user-settings-${userId}`;
