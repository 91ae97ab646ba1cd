import { deepStrictEqual } from 'node:assert/strict';

type ExpectLike = (actual: unknown) => { toEqual(expected: unknown): void };

/**
 * Deep equality through jest's `expect` when the kit runs inside jest (its diffs), node:assert
 * elsewhere. Read from globalThis rather than imported: the kit is compiled with the framework,
 * where jest's globals are not declared, and @jest/globals is not a direct dependency.
 */
export function assertEqual(actual: unknown, expected: unknown, context?: string): void {
  const jestExpect = (globalThis as { expect?: ExpectLike }).expect;
  try {
    if (jestExpect) jestExpect(actual).toEqual(expected);
    else deepStrictEqual(actual, expected);
  } catch (error) {
    if (context && error instanceof Error) error.message = `${context}\n\n${error.message}`;
    throw error;
  }
}

/** Fails the current test with a message, the same way inside and outside jest. */
export function fail(message: string): never {
  throw Object.assign(new Error(message), { name: 'AssertionError' });
}
