/**
 * Event-time windowing (invariant 6 of docs/architecture.md): windows are cut by the event's own timestamp, never
 * by the clock of the machine that processes it, so a replay computes the same windows as the
 * live run. Pure and JSON-serialisable: a processor keeps the state in a jsonb column.
 *
 * Semantics, Flink-style with the lateness folded into the watermark:
 *   watermark = max event time seen − allowed lateness (never goes back);
 *   a window [start, end) is final once end <= watermark: closeWindows() emits it once and
 *   evicts it, and from then on it accepts nothing;
 *   an event is folded into each of its windows that is not final; when all of them are final
 *   it is rejected as late (returned, never silently dropped).
 * Within the lateness bound the result therefore does not depend on arrival order.
 */

/** Half-open interval of event time [start, end), epoch milliseconds. */
export interface Window {
  start: number;
  end: number;
}

/** How event times map to windows. Plain data so it can live inside the state. */
export interface WindowSpec {
  kind: 'tumbling' | 'sliding';
  sizeMs: number;
  /** Distance between window starts; equals sizeMs for tumbling windows. */
  slideMs: number;
}

/** Back-to-back windows of sizeMs aligned on the epoch: each event falls in exactly one. */
export function tumblingWindows(sizeMs: number): WindowSpec {
  requirePositiveInteger('sizeMs', sizeMs);
  return { kind: 'tumbling', sizeMs, slideMs: sizeMs };
}

/**
 * Windows of sizeMs starting every slideMs (aligned on the epoch): each event falls in
 * sizeMs / slideMs windows. `slidingWindows(HOUR, 5 * MINUTE)` is "the past hour", refreshed
 * every five minutes.
 */
export function slidingWindows(sizeMs: number, slideMs: number): WindowSpec {
  requirePositiveInteger('sizeMs', sizeMs);
  requirePositiveInteger('slideMs', slideMs);
  // A slide longer than the size leaves gaps that would make some events belong to no window.
  if (slideMs > sizeMs) throw new RangeError(`slideMs (${slideMs}) must not exceed sizeMs (${sizeMs})`);
  return { kind: 'sliding', sizeMs, slideMs };
}

/** Every window containing the event time, oldest start first. */
export function assignWindows(spec: WindowSpec, eventTimeMs: number): Window[] {
  requireFiniteTime(eventTimeMs);
  const lastStart = Math.floor(eventTimeMs / spec.slideMs) * spec.slideMs;
  const windows: Window[] = [];
  for (let start = lastStart; start > eventTimeMs - spec.sizeMs; start -= spec.slideMs) {
    windows.unshift({ start, end: start + spec.sizeMs });
  }
  return windows;
}

/** Aggregates of open windows, per key. K is a string so the state stays a JSON object. */
export interface WindowedAggregate<K extends string, A> {
  windows: WindowSpec;
  /** Max event time seen minus allowed lateness; null before the first event. Never goes back. */
  watermarkMs: number | null;
  maxEventTimeMs: number | null;
  /** Open windows by start (epoch ms as a string), one aggregate per key. */
  open: Record<string, Partial<Record<K, A>>>;
}

/** The state of a windowed aggregate before its first event: no windows open, no watermark. */
export function emptyWindowedAggregate<K extends string, A>(windows: WindowSpec): WindowedAggregate<K, A> {
  return { windows, watermarkMs: null, maxEventTimeMs: null, open: {} };
}

/** Merges two partial aggregates. Must be associative and commutative for order independence. */
export type Combine<A> = (a: A, b: A) => A;

/** The lateness bound and the merge of add(). */
export interface AddOptions<A> {
  /** How far behind the newest event time an event may arrive and still count. @default 0 */
  allowedLatenessMs?: number;
  /** @default numeric addition (counts and sums) */
  combine?: Combine<A>;
}

/** add()'s answer: the new state and the windows the event joined, or a late event refused. */
export type AddResult<K extends string, A> =
  | { accepted: true; state: WindowedAggregate<K, A>; windows: Window[]; /** Its windows that were already final. */ missedWindows: Window[] }
  | { accepted: false; reason: 'late'; state: WindowedAggregate<K, A>; watermarkMs: number };

const addNumbers: Combine<number> = (a, b) => a + b;

/** Folds one event's value into its open windows (returns a new state; the input is untouched). */
export function add<K extends string>(state: WindowedAggregate<K, number>, key: K, eventTimeMs: number, value: number, options?: AddOptions<number>): AddResult<K, number>;
export function add<K extends string, A>(state: WindowedAggregate<K, A>, key: K, eventTimeMs: number, value: A, options: AddOptions<A> & { combine: Combine<A> }): AddResult<K, A>;
export function add<K extends string, A>(state: WindowedAggregate<K, A>, key: K, eventTimeMs: number, value: A, options: AddOptions<A> = {}): AddResult<K, A> {
  const lateness = options.allowedLatenessMs ?? 0;
  if (!(lateness >= 0)) throw new RangeError(`allowedLatenessMs must be >= 0, got ${lateness}`);
  const combine = options.combine ?? (addNumbers as unknown as Combine<A>);
  const assigned = assignWindows(state.windows, eventTimeMs);
  const maxEventTimeMs = state.maxEventTimeMs === null ? eventTimeMs : Math.max(state.maxEventTimeMs, eventTimeMs);
  const watermarkMs = Math.max(state.watermarkMs ?? -Infinity, eventTimeMs - lateness);
  const live = assigned.filter((w) => w.end > watermarkMs);
  const missedWindows = assigned.filter((w) => w.end <= watermarkMs);
  // A late event cannot move the watermark (it is below max − lateness), so the state is unchanged.
  if (live.length === 0) return { accepted: false, reason: 'late', state, watermarkMs };

  const open = { ...state.open };
  for (const w of live) {
    const slot = String(w.start);
    const values: Partial<Record<K, A>> = { ...open[slot] };
    const previous = values[key];
    values[key] = previous === undefined ? value : combine(previous as A, value);
    open[slot] = values;
  }
  return { accepted: true, state: { ...state, watermarkMs, maxEventTimeMs, open }, windows: live, missedWindows };
}

/** A final window result for one key. */
export interface ClosedWindow<K extends string, A> {
  window: Window;
  key: K;
  value: A;
}

/**
 * Windows whose end is at or behind the watermark: their results are final. Each is returned
 * exactly once (it is evicted here), ordered by window start, then key.
 */
export function closeWindows<K extends string, A>(state: WindowedAggregate<K, A>): { state: WindowedAggregate<K, A>; closed: ClosedWindow<K, A>[] } {
  if (state.watermarkMs === null) return { state, closed: [] };
  const closed: ClosedWindow<K, A>[] = [];
  const open: WindowedAggregate<K, A>['open'] = {};
  for (const [slot, values] of Object.entries(state.open) as Array<[string, Partial<Record<K, A>>]>) {
    const start = Number(slot);
    const window = { start, end: start + state.windows.sizeMs };
    if (window.end > state.watermarkMs) {
      open[slot] = values;
      continue;
    }
    for (const key of (Object.keys(values) as K[]).sort()) closed.push({ window, key, value: values[key] as A });
  }
  if (closed.length === 0) return { state, closed };
  closed.sort((a, b) => a.window.start - b.window.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { state: { ...state, open }, closed };
}

/**
 * The live view at nowMs (processing time of a query, e.g. "trending in the past hour"): the
 * earliest-starting window that contains nowMs, i.e. [end − size, end) with end the first slide
 * boundary after nowMs. It covers the past sizeMs except for less than one slide at its old end,
 * and includes events up to now that are not final yet. Empty when nothing happened in it.
 */
export function current<K extends string, A>(state: WindowedAggregate<K, A>, nowMs: number): { window: Window; values: Partial<Record<K, A>> } {
  const [window] = assignWindows(state.windows, nowMs);
  return { window, values: { ...state.open[String(window.start)] } };
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer of milliseconds, got ${value}`);
}

function requireFiniteTime(value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`event time must be finite epoch milliseconds, got ${value}`);
}
