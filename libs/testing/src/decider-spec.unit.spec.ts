import { assertNever, Decider, DomainEvent, RuleViolated, ValidationFailed } from '@streamfold/core';
import { deciderSpec, fixedContext, FIXED_NOW } from './decider-spec';

// A small threshold decider to exercise the spec helpers.
type ThresholdEvent = DomainEvent<'ThresholdSet', { id: string; amountCents: string; at: string }> | DomainEvent<'ThresholdDisabled', { at: string }>;
type ThresholdCommand = { type: 'SetThreshold'; amountCents: string } | { type: 'DisableThreshold' };
type ThresholdState = { status: 'Empty' } | { status: 'Active'; amountCents: string } | { status: 'Disabled' };

const threshold: Decider<ThresholdCommand, ThresholdEvent, ThresholdState> = {
  initialState: () => ({ status: 'Empty' }),
  decide(command, state, ctx) {
    switch (command.type) {
      case 'SetThreshold':
        if (!/^\d+$/.test(command.amountCents)) throw new ValidationFailed('amountCents', 'must be whole cents');
        return [{ type: 'ThresholdSet', data: { id: ctx.newId(), amountCents: command.amountCents, at: ctx.now.toISOString() } }];
      case 'DisableThreshold':
        if (state.status !== 'Active') throw new RuleViolated('threshold_not_active', 'no active threshold');
        return [{ type: 'ThresholdDisabled', data: { at: ctx.now.toISOString() } }];
      default:
        return assertNever(command, 'command');
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ThresholdSet':
        return { status: 'Active', amountCents: event.data.amountCents };
      case 'ThresholdDisabled':
        return { status: 'Disabled' };
      default:
        return assertNever(event, 'event');
    }
  },
};

const set = (amountCents: string, id = 'id-1'): ThresholdEvent => ({ type: 'ThresholdSet', data: { id, amountCents, at: FIXED_NOW.toISOString() } });

describe('deciderSpec', () => {
  it('passes when decide returns the expected events, with a fixed clock and deterministic ids', () => {
    deciderSpec(threshold).when({ type: 'SetThreshold', amountCents: '100000' }).then([set('100000')]);
    deciderSpec(threshold)
      .given([set('100000')])
      .when({ type: 'DisableThreshold' })
      .then([{ type: 'ThresholdDisabled', data: { at: '2025-01-01T12:00:00.000Z' } }]);
  });

  it('fails when decide returns other events', () => {
    expect(() => deciderSpec(threshold).when({ type: 'SetThreshold', amountCents: '100000' }).then([set('999')])).toThrow(/decide returned other events/);
  });

  it('fails then() with the error when decide throws instead', () => {
    expect(() => deciderSpec(threshold).when({ type: 'DisableThreshold' }).then([])).toThrow(/but decide threw RuleViolated: no active threshold/);
  });

  it('thenThrows accepts an error class or a predicate', () => {
    deciderSpec(threshold).given([set('1'), { type: 'ThresholdDisabled', data: { at: 'x' } }]).when({ type: 'DisableThreshold' }).thenThrows(RuleViolated);
    deciderSpec(threshold)
      .when({ type: 'SetThreshold', amountCents: '1.5' })
      .thenThrows((e) => e instanceof ValidationFailed && e.field === 'amountCents');
  });

  it('thenThrows fails when nothing is thrown, or the wrong error is', () => {
    expect(() => deciderSpec(threshold).when({ type: 'SetThreshold', amountCents: '1' }).thenThrows(RuleViolated)).toThrow(/expected decide to throw RuleViolated, but it returned/);
    expect(() => deciderSpec(threshold).when({ type: 'DisableThreshold' }).thenThrows(ValidationFailed)).toThrow(/not the expected ValidationFailed/);
    expect(() => deciderSpec(threshold).when({ type: 'DisableThreshold' }).thenThrows(() => false)).toThrow(/matching the predicate/);
  });

  it('uses the context it is given', () => {
    const ctx = fixedContext({ now: new Date('2025-06-01T00:00:00Z'), idPrefix: 'thr-' });
    deciderSpec(threshold)
      .when({ type: 'SetThreshold', amountCents: '5' }, ctx)
      .then([{ type: 'ThresholdSet', data: { id: 'thr-1', amountCents: '5', at: '2025-06-01T00:00:00.000Z' } }]);
  });
});

describe('fixedContext', () => {
  it('numbers ids per context and defaults the actor', () => {
    const ctx = fixedContext();
    expect([ctx.newId(), ctx.newId(), fixedContext().newId()]).toEqual(['id-1', 'id-2', 'id-1']);
    expect(ctx.actor).toBe('user-1');
    expect(fixedContext({ actor: null }).actor).toBeNull();
  });
});
