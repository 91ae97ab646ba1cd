import { InputInvalid } from './movieflix.errors';

/** A heartbeat as a player sends it (one of a batch). */
export interface Heartbeat {
  videoId: string;
  positionSec: number;
  durationSec: number;
  device: string;
  /** ISO 8601 event time, when the player was at positionSec. */
  occurredAt: string;
}

/** Where a viewer is in one video, by event time. */
export interface ResumePoint {
  positionSec: number;
  durationSec: number;
  device: string;
  /** Epoch ms. */
  occurredAt: number;
}

/**
 * The resume rule: the point with the later event time wins, so a late heartbeat never moves the
 * position back. Equal event times (two devices in the same millisecond, a duplicate) are broken
 * by the larger position, then the larger device name: deterministic whatever the arrival order.
 * The read model's upsert compares the same tuple in SQL.
 */
export function laterPoint(a: ResumePoint | undefined, b: ResumePoint): ResumePoint {
  if (!a) return b;
  if (b.occurredAt !== a.occurredAt) return b.occurredAt > a.occurredAt ? b : a;
  if (b.positionSec !== a.positionSec) return b.positionSec > a.positionSec ? b : a;
  return b.device > a.device ? b : a;
}

/** Below this share the video is "in progress" and shows in continue-watching (matches FINISHED_SHARE). */
export const CONTINUE_BELOW_SHARE = 0.9;

export const HEARTBEATS_MAX = 500;
/** Heartbeats further in the future than this are refused: a wrong clock would pin the resume point. */
export const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * Validates a batch of heartbeats before anything is published: one bad field refuses the whole
 * batch with a 400 naming it (e.g. `heartbeats[3].positionSec`).
 */
export function validateHeartbeats(raw: unknown, knownVideo: (id: string) => boolean, now: number): Heartbeat[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > HEARTBEATS_MAX) throw InputInvalid.because('heartbeats', `must be an array of 1 to ${HEARTBEATS_MAX} heartbeats`);
  return raw.map((h: any, i) => {
    const f = (name: string) => `heartbeats[${i}].${name}`;
    if (typeof h !== 'object' || h === null) throw InputInvalid.because(`heartbeats[${i}]`, 'must be an object');
    if (typeof h.videoId !== 'string' || !knownVideo(h.videoId)) throw InputInvalid.because(f('videoId'), 'must be the id of a video in the catalogue');
    if (typeof h.device !== 'string' || !/^[\w.:-]{1,64}$/.test(h.device)) throw InputInvalid.because(f('device'), 'must be 1 to 64 letters, digits, ".", ":", "_" or "-"');
    if (typeof h.durationSec !== 'number' || !(h.durationSec > 0 && h.durationSec <= 86_400)) throw InputInvalid.because(f('durationSec'), 'must be a number of seconds in (0, 86400]');
    if (typeof h.positionSec !== 'number' || !(h.positionSec >= 0 && h.positionSec <= h.durationSec)) throw InputInvalid.because(f('positionSec'), 'must be a number of seconds in [0, durationSec]');
    const at = typeof h.occurredAt === 'string' && /^\d{4}-\d\d-\d\dT/.test(h.occurredAt) ? Date.parse(h.occurredAt) : NaN;
    if (!Number.isFinite(at) || at > now + FUTURE_SKEW_MS) throw InputInvalid.because(f('occurredAt'), 'must be an ISO 8601 time, not in the future');
    return { videoId: h.videoId, positionSec: h.positionSec, durationSec: h.durationSec, device: h.device, occurredAt: new Date(at).toISOString() };
  });
}
