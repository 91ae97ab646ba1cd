import { compareSequence, LogSequence } from '@streamfold/core';
import { sleep } from './sleep';

/**
 * The right to be the one active relay of a name, and that relay's checkpoint. The relay checks
 * `held` before each batch and stops when it turns false; a rejected save means another instance
 * may be publishing already, so the relay goes back to acquire() instead of retrying the save.
 */
export interface RelayLease {
  /** Where the previous holder stopped; null = the start of the log. */
  load(): Promise<LogSequence | null>;
  /** Throws when the lease was lost: the checkpoint is only ever written by the holder. */
  save(sequence: LogSequence): Promise<void>;
  /** False once the lease is lost (connection gone) or released. */
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * Elects one active relay per name among processes (docs/architecture.md, process roles). At most
 * one lease per name is held at a time; a lost holder's lease becomes free, so a standby takes
 * over from the last saved checkpoint and may re-send what followed it (consumers de-duplicate).
 */
export interface RelayLeases {
  /**
   * Resolves once this instance holds the lease for `name` (a standby keeps waiting while another
   * instance holds it), or with null when `signal` aborts first.
   */
  acquire(name: string, signal: AbortSignal): Promise<RelayLease | null>;
}

/** Tuning of InMemoryRelayLeases. */
export interface InMemoryRelayLeasesOptions {
  /** How often a standby checks whether the lease is free. @default 20 */
  standbyPollMs?: number;
}

/**
 * Leases for relays in one process (tests, the embedded default with the in-memory store):
 * checkpoints live as long as this object.
 */
export class InMemoryRelayLeases implements RelayLeases {
  private readonly checkpoints = new Map<string, LogSequence>();
  private readonly holders = new Set<string>();
  private readonly pollMs: number;

  constructor(options: InMemoryRelayLeasesOptions = {}) {
    this.pollMs = options.standbyPollMs ?? 20;
  }

  async acquire(name: string, signal: AbortSignal): Promise<RelayLease | null> {
    while (this.holders.has(name)) {
      if (signal.aborted) return null;
      await sleep(this.pollMs, signal);
    }
    if (signal.aborted) return null;
    this.holders.add(name);
    let held = true;
    return {
      get held() {
        return held;
      },
      load: async () => this.checkpoints.get(name) ?? null,
      save: async (sequence) => {
        if (!held) throw new Error(`relay ${name} no longer holds its lease`);
        const current = this.checkpoints.get(name);
        if (!current || compareSequence(current, sequence) < 0) this.checkpoints.set(name, { ...sequence });
      },
      release: async () => {
        if (held) this.holders.delete(name);
        held = false;
      },
    };
  }
}
