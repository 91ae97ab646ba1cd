import { LogLevelName } from '@streamfold/eventstore';
import pino, { DestinationStream } from 'pino';

/** One line the generator writes: its level, event time and message. */
export interface GeneratedLine {
  level: LogLevelName;
  time: number;
  msg: string;
}

const LEVELS: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** Words the messages are made of, so a text search has a known answer. */
export const WORDS = ['checkout', 'payment', 'inventory', 'shipping', 'refund', 'login', 'search'];

/**
 * `count` lines at mixed levels, `stepMs` apart from `startMs`, from a fixed seed: the same call
 * gives the same lines, so a test knows every count it should find. The middle third has many
 * more errors than the rest (an incident) so the error-rate alert has something to see.
 */
export function generateLines(count: number, startMs: number, stepMs: number, seed = 42): GeneratedLine[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const lines: GeneratedLine[] = [];
  for (let i = 0; i < count; i++) {
    const incident = i >= count / 3 && i < (2 * count) / 3;
    const r = next();
    // Quiet: 2 % error, 0.5 % fatal. Incident: 30 % error, 5 % fatal.
    const level: LogLevelName = incident
      ? r < 0.3 ? 'error' : r < 0.35 ? 'fatal' : LEVELS[Math.floor(next() * 4)]
      : r < 0.02 ? 'error' : r < 0.025 ? 'fatal' : LEVELS[Math.floor(next() * 4)];
    lines.push({ level, time: startMs + i * stepMs, msg: `${WORDS[i % WORDS.length]} step ${i}` });
  }
  return lines;
}

/** Lines per `level|minute start (ms)`. */
export function countsByLevelAndMinute(lines: readonly GeneratedLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const key = `${l.level}|${Math.floor(l.time / 60_000) * 60_000}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Writes the lines through a pino logger on `destination`, each with its own generated time. */
export function writeLines(lines: readonly GeneratedLine[], destination: DestinationStream): void {
  let now = 0;
  const logger = pino({ level: 'trace', base: null, timestamp: () => `,"time":${now}` }, destination);
  for (const l of lines) {
    now = l.time;
    logger[l.level](l.msg);
  }
}
