import { DomainEvent } from './envelope';

/** What a decision may depend on besides state and command: passed in, never read from globals. */
export interface DecisionContext {
  now: Date;
  /** Acting user id, when the command comes from a user. */
  actor: string | null;
  newId(): string;
}

/**
 * Pure business logic of one aggregate (Emmett/Chassaing style):
 * decide(command, state) → events, evolve(state, event) → state, both free of I/O.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  decide(command: Command, state: State, context: DecisionContext): Event[];
  evolve(state: State, event: Event): State;
}

/** The state after replaying `events` from the decider's initial state (how a stream is loaded). */
export function fold<Event extends DomainEvent, State>(decider: Pick<Decider<never, Event, State>, 'initialState' | 'evolve'>, events: Iterable<Event>): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/** Ends every switch over a union: a new variant without a case is a compile error. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
