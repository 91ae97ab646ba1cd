import { ApiClient } from './http';
import { Broker, ChaosDatabase } from './infra';
import { ServiceProcess } from './processes';
import { Workload } from './workload';
import { clock, Rng, say, sleep } from './util';

export type FaultKind = 'kill' | 'broker-restart' | 'broker-kill' | 'db-fault';

export interface Fault {
  n: number;
  kind: FaultKind;
  /** Victim of a kill (a process name) or of a broker kill (`kafka-<node>`). */
  target?: string;
  /** Planned offset from the start of the chaos phase, ms. */
  plannedMs: number;
  at?: number;
  /** When the fault's own action finished (victim restarted and serving, broker back, sessions ended). */
  actionDoneAt?: number;
  detail?: string;
  /** From the fault until a probe post was accepted AND visible through GET /social/posts/:id. */
  recoveryMs?: number;
  recoveryNote?: string;
  probe?: Promise<void>;
}

/**
 * The schedule: `kills` SIGKILLs plus the special faults (one broker restart, or a few broker
 * kills on a cluster, and one database fault), each at a random moment of its own slot, so faults
 * are spread over the run and never overlap: a fault starts only once the previous one's action
 * is over (a killed process is back and serving). The victims are a shuffled bag of all six
 * processes, so every role is killed several times. Special faults land in the middle 60% of the
 * run, two slots apart where the run is long enough.
 */
export function planFaults(rng: Rng, durationMs: number, kills: number, victims: string[], specials: FaultKind[]): Fault[] {
  const total = kills + specials.length;
  // One spare slot at the end: the last fault still has load around it while it recovers.
  const slot = durationMs / (total + 1);
  const slots = [...Array(total).keys()];
  const middle = rng.shuffle(slots.filter((i) => i >= Math.floor(total * 0.2) && i < Math.ceil(total * 0.8)));
  const chosen: number[] = [];
  for (const i of middle) if (chosen.length < specials.length && chosen.every((c) => Math.abs(c - i) >= 2)) chosen.push(i);
  for (const i of rng.shuffle([...slots])) if (chosen.length < specials.length && !chosen.includes(i)) chosen.push(i);
  const kindAt = new Map(chosen.sort((a, b) => a - b).map((slotIndex, k) => [slotIndex, specials[k]]));
  const bag: string[] = [];
  while (bag.length < kills) bag.push(...rng.shuffle([...victims]));
  const nodes: number[] = [];
  const faults: Fault[] = [];
  for (let i = 0; i < total; i++) {
    const kind: FaultKind = kindAt.get(i) ?? 'kill';
    if (kind === 'broker-kill' && nodes.length === 0) nodes.push(...rng.shuffle([1, 2, 3]));
    faults.push({
      n: i + 1,
      kind,
      target: kind === 'kill' ? bag.pop() : kind === 'broker-kill' ? `kafka-${nodes.pop()}` : undefined,
      plannedMs: Math.round(slot * (i + rng.between(0.1, 0.9))),
    });
  }
  return faults;
}

export interface FaultDeps {
  processes: Map<string, ServiceProcess>;
  broker: Broker;
  db: ChaosDatabase;
  workload: Workload;
  client: ApiClient;
  rng: Rng;
}

export const PROBE_TIMEOUT_MS = 90_000;

/**
 * Recovery probe of one fault, started at the fault: a probe post is created (retried every
 * 200 ms until a 2xx) and then read back (every 200 ms) until it is visible in the read model.
 * The probe posts are accepted commands like any other and are verified at the end.
 */
async function probe(fault: Fault, deps: FaultDeps): Promise<void> {
  const start = fault.at!;
  const deadline = start + PROBE_TIMEOUT_MS;
  let postId: string | null = null;
  while (!postId && Date.now() < deadline) {
    postId = await deps.workload.createPost('chaos-probe', `probe after fault ${fault.n}`);
    if (!postId) await sleep(200);
  }
  while (postId && Date.now() < deadline) {
    const r = await deps.client.request('GET', `/social/posts/${postId}`).catch(() => null);
    if (r?.status === 200) {
      fault.recoveryMs = Date.now() - start;
      return;
    }
    await sleep(200);
  }
  fault.recoveryNote = postId ? `probe post ${postId} not visible after ${PROBE_TIMEOUT_MS} ms` : `no probe write accepted in ${PROBE_TIMEOUT_MS} ms`;
  say(`ERROR fault #${fault.n} (${fault.kind}${fault.target ? ` ${fault.target}` : ''}): not recovered: ${fault.recoveryNote}`);
}

async function act(fault: Fault, deps: FaultDeps, signal: AbortSignal): Promise<void> {
  switch (fault.kind) {
    case 'kill': {
      const victim = deps.processes.get(fault.target!)!;
      await victim.kill();
      const delay = Math.round(deps.rng.between(200, 1500));
      await sleep(delay, signal);
      victim.start(); // a no-op once cleanup stopped it
      // A restart takes seconds (Nest boot, Kafka and PostgreSQL connections); the next fault
      // does not wait for it, only for its own victim, so the schedule keeps its pace.
      fault.detail = `restarted after ${delay} ms`;
      const restartedAt = Date.now();
      const instance = victim.child;
      void (async () => {
        // This instance only: a later fault may kill and restart the same process again.
        while (Date.now() - restartedAt < 90_000) {
          const since = instance ? victim.servingSince.get(instance) : undefined;
          if (since) return void (fault.detail += `, serving ${((since - restartedAt) / 1000).toFixed(1)} s later`);
          if (victim.child !== instance) return void (fault.detail += ', ended again before it served');
          await sleep(100);
        }
        fault.detail += ', NOT serving 90 s later';
      })();
      return;
    }
    case 'broker-restart':
      await deps.broker.restart();
      fault.detail = `kafka.sh restart took ${((Date.now() - fault.at!) / 1000).toFixed(1)} s`;
      return;
    case 'broker-kill': {
      // SIGKILL of one node of three: its partitions elect new leaders among the two others
      // (min ISR 2 still holds), then the node comes back and catches up as a follower.
      const node = Number(fault.target!.slice('kafka-'.length));
      await deps.broker.killNode(node);
      const down = Math.round(deps.rng.between(3000, 8000));
      await sleep(down, signal);
      await deps.broker.startNode(node);
      fault.detail = `node ${node} down ${(down / 1000).toFixed(1)} s, back after ${((Date.now() - fault.at!) / 1000).toFixed(1)} s`;
      return;
    }
    case 'db-fault': {
      const n = await deps.db.terminateConnections();
      fault.detail = `terminated ${n} connections`;
      return;
    }
  }
}

/**
 * Runs the schedule. Kills do not wait for recovery (a projection worker's partitions come back
 * only after the group's 10 s session timeout, longer than a slot), but the broker restart and the
 * database fault do (up to 45 s), so their recovery time is theirs alone.
 */
export async function runFaults(faults: Fault[], deps: FaultDeps, signal: AbortSignal, onFault: (f: Fault) => void): Promise<void> {
  const started = Date.now();
  for (const fault of faults) {
    const wait = started + fault.plannedMs - Date.now();
    if (wait > 0) await sleep(wait, signal);
    if (signal.aborted) return;
    // Broker faults and the database fault hit a fully started system; a kill never hits
    // an instance that is still booting (it would test nothing but the boot).
    const ready = fault.kind === 'kill' ? [deps.processes.get(fault.target!)!] : [...deps.processes.values()];
    await Promise.all(ready.map((p) => p.waitServing(60_000)));
    if (signal.aborted) return;
    fault.at = Date.now();
    say(`fault #${fault.n}: ${fault.kind}${fault.target ? ` ${fault.target}` : ''}`);
    fault.probe = probe(fault, deps);
    try {
      await act(fault, deps, signal);
    } catch (error) {
      fault.detail = `action failed: ${(error as Error).message}`;
      say(`ERROR fault #${fault.n}: ${fault.detail}`);
    }
    fault.actionDoneAt = Date.now();
    onFault(fault);
    if (fault.kind !== 'kill') {
      await Promise.race([fault.probe, sleep(45_000, signal)]);
      say(`fault #${fault.n} ${fault.kind}: ${fault.detail}; recovered ${fault.recoveryMs !== undefined ? `in ${(fault.recoveryMs / 1000).toFixed(2)} s` : 'not yet'}`);
    }
  }
}

/** Later faults that happened before this one had recovered: its recovery time is not its alone. */
export function overlapping(f: Fault, faults: Fault[]): number[] {
  const end = f.at! + (f.recoveryMs ?? PROBE_TIMEOUT_MS);
  return faults.filter((g) => g.n > f.n && g.at !== undefined && g.at < end).map((g) => g.n);
}

export function describeFault(f: Fault, faults: Fault[] = []): string {
  const what = `${f.kind}${f.target ? ` ${f.target}` : ''}`.padEnd(28);
  const at = f.at ? `${clock.seconds(f.at)}s` : '   -   ';
  const recovery = f.recoveryMs !== undefined ? `${(f.recoveryMs / 1000).toFixed(2).padStart(6)} s` : `NOT RECOVERED (${f.recoveryNote ?? 'no probe'})`;
  const during = f.at ? overlapping(f, faults) : [];
  const overlap = during.length ? `; faults #${during[0]}${during.length > 1 ? `-#${during[during.length - 1]}` : ''} happened before it recovered` : '';
  return `#${String(f.n).padStart(2)} at ${at} ${what} recovery ${recovery}  (${f.detail ?? ''}${overlap})`;
}
