import { isDeepStrictEqual } from 'node:util';
import type { ProcessorStateStore } from '@streamfold/projections';

/**
 * sf_processor_state in memory, for pure and fast processor tests. States are stored as JSON
 * text, so a state that would not survive the jsonb column (a Map, undefined, Infinity, a Date
 * that comes back a string) fails here, loudly, instead of in production. Not transactional.
 */
export class MemoryProcessorState implements ProcessorStateStore {
  private readonly rows = new Map<string, string>();
  /** Number of save() calls, to check one write per batch. */
  saves = 0;

  async load(_sql: unknown, processor: string, keys: readonly string[]): Promise<Map<string, unknown>> {
    const states = new Map<string, unknown>();
    for (const key of keys) {
      const json = this.rows.get(`${processor}\u0000${key}`);
      if (json !== undefined) states.set(key, JSON.parse(json));
    }
    return states;
  }

  async save(_sql: unknown, processor: string, states: ReadonlyArray<{ key: string; state: unknown }>): Promise<void> {
    this.saves++;
    for (const { key, state } of states) {
      const json = JSON.stringify(state);
      if (json === undefined || !isDeepStrictEqual(JSON.parse(json), state)) {
        throw new Error(`state of ${processor} key ${key} does not survive JSON (jsonb column): ${String(json)}`);
      }
      this.rows.set(`${processor}\u0000${key}`, json);
    }
  }

  /** The stored state of one key, or undefined. */
  get<S>(processor: string, key: string): S | undefined {
    const json = this.rows.get(`${processor}\u0000${key}`);
    return json === undefined ? undefined : (JSON.parse(json) as S);
  }

  keys(processor: string): string[] {
    const prefix = `${processor}\u0000`;
    return [...this.rows.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }
}
