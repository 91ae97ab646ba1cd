import { describeFault, Fault, overlapping } from './faults';
import { ServiceProcess } from './processes';
import { Verification } from './verify';
import { Lag } from './lag';
import { Ledger } from './ledger';
import { Workload } from './workload';

export interface Tally {
  kills: number;
  brokerRestarts: number;
  dbFaults: number;
}

/** Counts the faults whose action really happened (a failed action is not a fault injected). */
export function tally(faults: Fault[]): Tally {
  const done = (f: Fault) => f.at !== undefined && !f.detail?.startsWith('action failed');
  return {
    kills: faults.filter((f) => f.kind === 'kill' && done(f)).length,
    // A broker node SIGKILLed and started again is a broker restart too (the harsher kind).
    brokerRestarts: faults.filter((f) => (f.kind === 'broker-restart' || f.kind === 'broker-kill') && done(f)).length,
    dbFaults: faults.filter((f) => f.kind === 'db-fault' && done(f)).length,
  };
}

const list = (items: string[]) => (items.length ? ` e.g. ${items.slice(0, 3).join(', ')}` : '');

/** The figures of a run, each on its own line, then the per-fault recovery times. */
export function printReport(v: Verification, ledger: Ledger, faults: Fault[], processes: ServiceProcess[]): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const k = v.kafka;
  const c = v.commands;
  const missingCount = Object.values(c.missing).reduce((n, list) => n + list.length, 0);
  const short = Object.values(v.readModels).reduce((n, d) => n + d.short, 0);
  const surplus = Object.values(v.readModels).reduce((n, d) => n + d.surplus, 0);
  out();
  out('=== chaos results ===');
  out(`commands accepted (2xx): ${v.accepted}  (distinct: ${v.acceptedPosts} posts, ${v.acceptedLikes} (post,user) likes, ${v.acceptedComments} comments)`);
  out(`  also accepted:          ${ledger.unlikes.size} unlikes after a like, ${ledger.postDeletes.size} post deletes, ${ledger.commentDeletes.size} comment deletes`);
  out(`commands not accepted:   failed ${ledger.failed} after their last attempt (5xx, refused, reset, timeout), rejected ${ledger.rejected} (4xx)`);
  out(`retries (same Idempotency-Key): ${ledger.retries} attempts; ${c.retried} commands retried, ${c.retriedAccepted} of them acknowledged; ` +
      `keys stored twice ${c.duplicatedKeys.length}${list(c.duplicatedKeys)}; answers not the first result ${c.inconsistentAnswers.length}${list(c.inconsistentAnswers)}`);
  out(`  outcomes: ${[...ledger.statuses].sort().map(([s, n]) => `${s}=${n}`).join(' ')}`);
  out(`events stored:           ${v.stored}  (${Object.entries(v.storedByType).map(([t, n]) => `${t.replace('social.', '')}=${n}`).join(' ')})`);
  out(`events on Kafka:         ${k.distinctEvents} distinct event ids in ${k.messages} messages (relay re-sends dropped by sf-seq: ${k.resends})`);
  out(`lost:                    ${v.lost}  = accepted but not stored ${missingCount}` +
      ` (${Object.entries(c.missing).map(([kind, ids]) => `${kind} ${ids.length}`).join(', ')})` +
      ` + stored but not on Kafka ${k.missing.length} + read-model shortfall or wrong field ${short}`);
  out(`duplicated:              ${v.duplicated}  = read-model surplus ${surplus} + duplicate event ids in sf_events ${v.duplicateEventIds}` +
      ` + keys stored twice ${c.duplicatedKeys.length} + answers not the first result ${c.inconsistentAnswers.length}`);
  out('read models and processor states vs from-scratch fold of sf_events (every field of every row):');
  for (const [name, d] of Object.entries(v.readModels)) {
    out(`  ${name.padEnd(36)} compared=${d.compared} short=${d.short} surplus=${d.surplus}${list(d.examples)}`);
  }
  out('derived topics, last value per post (as an sf-seq consumer applies them) vs fold:');
  for (const [name, d] of Object.entries(v.derived)) {
    out(`  ${name.padEnd(36)} compared=${d.compared} mismatches=${d.short + d.surplus}${list(d.examples)}`);
  }
  out(`ordering: stream-order inversions in sf_events (tx_id, position) order: ${v.storeOrderInversions}; ` +
      `on Kafka after sf-seq de-dup: ${k.orderViolations}; real events a consumer drops as re-sends: ${k.droppedUnseen.length}${list(k.droppedUnseen)}`);
  for (const e of v.storeOrderExamples) out(`  out of stream order in sf_events: ${e}`);
  out(`dead letters: ${Object.keys(v.deadLetters).length ? JSON.stringify(v.deadLetters) : 'none'}; late events (trending): ${v.lateEvents}`);
  for (const [kind, ids] of Object.entries(c.missing)) if (ids.length) out(`  accepted ${kind} not in the store:${list(ids)}`);
  if (k.missing.length) out(`  stored but not on Kafka:${list(k.missing)}`);
  out('recovery after each fault (fault -> probe post accepted and visible via GET /social/posts/:id):');
  for (const f of faults) if (f.at !== undefined) out(`  ${describeFault(f, faults)}`);
  const summary = (label: string, selected: Fault[]) => {
    const times = selected.filter((f) => f.recoveryMs !== undefined).map((f) => f.recoveryMs!).sort((a, b) => a - b);
    if (!times.length) return;
    const q = (p: number) => (times[Math.min(times.length - 1, Math.floor(p * times.length))] / 1000).toFixed(2);
    out(`  ${label}: median ${q(0.5)} s, p90 ${q(0.9)} s, max ${q(1)} s over ${times.length} faults`);
  };
  summary('recovery, all faults', faults);
  summary('recovery, faults with no other fault before they recovered', faults.filter((f) => f.at !== undefined && overlapping(f, faults).length === 0));
  out(`processes: ${processes.map((p) => `${p.spec.name} starts=${p.starts} kills=${p.kills} self-exits=${p.selfExits.length}`).join('; ')}`);
}

/** The progress line printed every 5 s during the chaos phase. */
export function progressLine(ledger: Ledger, workload: Workload, faults: Fault[], lag: Lag | null): string {
  const t = tally(faults);
  const lagText = lag ? `relay=${lag.relay} projections=${lag.projections ?? '?'}` : '?';
  return `accepted=${ledger.accepted} failed=${ledger.failed} rejected=${ledger.rejected} in_flight=${workload.inFlight} ` +
    `kills=${t.kills} broker_restarts=${t.brokerRestarts} db_faults=${t.dbFaults} lag ${lagText}`;
}
