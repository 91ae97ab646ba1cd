/** The key travels in the text too, so verification can count a key's events without trusting sf_commands. */
export const keyOfText = (text: string): string | null => /\[key=([^\]]+)\]$/.exec(text)?.[1] ?? null;

/**
 * Every command that got a 2xx, with what it accepted. This is the promise the system made to
 * its clients; verification checks each entry against the event store and the read models.
 */
export class Ledger {
  /** postId -> author */
  readonly posts = new Map<string, string>();
  /** `${postId}|${userId}`: a like accepted twice by one user counts once (likes are idempotent). */
  readonly likes = new Set<string>();
  /**
   * `${postId}|${userId}` of unlikes accepted after that user's like had been accepted: the like
   * stream then holds a PostUnliked (this unlike's, or an earlier one that made it a no-op).
   */
  readonly unlikes = new Set<string>();
  /** commentId -> post and author */
  readonly comments = new Map<string, { postId: string; author: string }>();
  /** Accepted post deletes (post ids) and comment deletes (comment ids): each must be in the store. */
  readonly postDeletes = new Set<string>();
  readonly commentDeletes = new Set<string>();
  /** Commands sent with an Idempotency-Key (posts, comments), by key: retried ones must be stored once. */
  readonly keyed = new Map<string, KeyedCommand>();
  /** 2xx answers to commands (a retried command that was acknowledged counts once). */
  accepted = 0;
  /** 4xx answers: refused, changed nothing (e.g. a like racing its post's delete). */
  rejected = 0;
  /** Commands given up after their last attempt: 5xx, refused, reset, timeout (may or may not be stored). */
  failed = 0;
  /** Extra attempts with the same Idempotency-Key after a reset, timeout or 5xx. */
  retries = 0;
  readonly statuses = new Map<string, number>();

  count(what: string): void {
    this.statuses.set(what, (this.statuses.get(what) ?? 0) + 1);
  }

  /** Keyed commands tried more than once (the ones that test the server's de-duplication). */
  get retried(): KeyedCommand[] {
    return [...this.keyed.values()].filter((k) => k.attempts > 1);
  }
}

export interface KeyedCommand {
  kind: 'post' | 'comment';
  key: string;
  /** The command's author: the server scopes keys per user. */
  author: string;
  attempts: number;
  /** Ids answered by each 2xx attempt: all must be the same id (the first result, repeated). */
  answers: string[];
}
