import { DecisionContext, Decider, DomainEvent, fold } from '@streamfold/core';
import { assertEqual, fail } from './assert';

/** The clock every spec uses unless told otherwise: tests must not depend on the real one. */
export const FIXED_NOW = new Date('2025-01-01T12:00:00.000Z');

/**
 * A deterministic DecisionContext.
 * @param overrides.now @default FIXED_NOW (2025-01-01T12:00:00.000Z)
 * @param overrides.actor @default 'user-1'
 * @param overrides.idPrefix newId() returns `${idPrefix}1`, `${idPrefix}2`, ... @default 'id-'
 */
export function fixedContext(overrides: { now?: Date; actor?: string | null; idPrefix?: string } = {}): DecisionContext {
  let next = 0;
  const prefix = overrides.idPrefix ?? 'id-';
  return {
    now: overrides.now ?? FIXED_NOW,
    actor: overrides.actor === undefined ? 'user-1' : overrides.actor,
    newId: () => `${prefix}${++next}`,
  };
}

/** An error class, or a predicate the thrown error must satisfy. */
export type ErrorExpectation = (abstract new (...args: never[]) => Error) | ((error: unknown) => boolean);

/** The outcome a decider spec expects of one `when`: these events, or this error. */
export interface DecisionAssertions<E extends DomainEvent> {
  /** decide() returned exactly these events, in order. */
  then(expected: E[]): void;
  /** decide() threw an instance of the class, or an error the predicate accepts. */
  thenThrows(expected: ErrorExpectation): void;
}

/** A decider spec with its history fixed: the command to decide next. */
export interface GivenSpec<C, E extends DomainEvent> {
  /** Runs decide(command, state-from-given, ctx). @param ctx @default fixedContext() */
  when(command: C, ctx?: DecisionContext): DecisionAssertions<E>;
}

/** The start of a decider spec: a history (`given`) or, without one, the command on an empty stream. */
export interface DeciderSpec<C, E extends DomainEvent> extends GivenSpec<C, E> {
  /** The stream's history, folded with evolve into the state decide() sees. */
  given(events: E[]): GivenSpec<C, E>;
}

/**
 * Emmett-style decider tests that read like the domain:
 *   deciderSpec(postDecider).given([postCreated]).when(likePost).then([postLiked]);
 *   deciderSpec(postDecider).given([postDeleted]).when(likePost).thenThrows(RuleViolated);
 * `.when(...)` alone means an empty history.
 */
export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>): DeciderSpec<C, E> {
  const given = (events: E[]): GivenSpec<C, E> => ({
    when(command, ctx = fixedContext()) {
      // Deferred so thenThrows can observe the throw and then can report it as unexpected.
      const decide = () => decider.decide(command, fold(decider, events), ctx);
      return {
        then(expected) {
          let actual: E[];
          try {
            actual = decide();
          } catch (error) {
            fail(`expected events ${JSON.stringify(expected.map((e) => e.type))}, but decide threw ${describeError(error)}`);
          }
          assertEqual(actual, expected, 'decide returned other events than expected');
        },
        thenThrows(expected) {
          let events: E[];
          try {
            events = decide();
          } catch (error) {
            if (!matches(error, expected)) fail(`decide threw ${describeError(error)}, which is not the expected ${describeExpectation(expected)}`);
            return;
          }
          fail(`expected decide to throw ${describeExpectation(expected)}, but it returned ${JSON.stringify(events)}`);
        },
      };
    },
  });
  return { given, when: (command, ctx) => given([]).when(command, ctx) };
}

function isErrorClass(expected: ErrorExpectation): expected is abstract new (...args: never[]) => Error {
  return expected === Error || expected.prototype instanceof Error;
}

function matches(error: unknown, expected: ErrorExpectation): boolean {
  return isErrorClass(expected) ? error instanceof expected : (expected as (error: unknown) => boolean)(error);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : JSON.stringify(error);
}

function describeExpectation(expected: ErrorExpectation): string {
  return isErrorClass(expected) ? expected.name : 'error matching the predicate';
}
