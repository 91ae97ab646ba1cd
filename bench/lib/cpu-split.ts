import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) of the parties of an end-to-end run, read from /proc. */
export interface CpuSample {
  ours: number;
  postgres: number;
  kafka: number;
  loadGenerator: number;
  at: number;
}

function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, 100 Hz
  } catch {
    return 0; // the process ended between the listing and the read
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Our server processes, the PostgreSQL backends serving our database (their title names it;
 * backends that ended during the run are not counted), the broker listening on `kafkaPort` (its
 * run folder is named by port), and this process (the load generator).
 */
export function cpuSample(ourPids: number[], database: string, kafkaPort: number): CpuSample {
  let postgres = 0;
  let kafka = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cmd = cmdline(pid);
    if (cmd.startsWith('postgres: ') && cmd.includes(` ${database} `)) postgres += ticksOf(pid);
    else if (cmd.includes('kafka.Kafka') && cmd.includes(`run-${kafkaPort}/`)) kafka += ticksOf(pid);
  }
  const self = process.cpuUsage();
  return { ours: ourPids.reduce((sum, pid) => sum + ticksOf(pid), 0) / 100, postgres: postgres / 100, kafka: kafka / 100, loadGenerator: (self.user + self.system) / 1e6, at: Date.now() };
}

/** Cores each party used between two samples. */
export function cpuSplit(before: CpuSample, after: CpuSample): Record<'ours' | 'postgres' | 'kafka' | 'loadGenerator', number> {
  const seconds = (after.at - before.at) / 1000;
  const rate = (k: keyof Omit<CpuSample, 'at'>) => Math.max(0, after[k] - before[k]) / seconds;
  return { ours: rate('ours'), postgres: rate('postgres'), kafka: rate('kafka'), loadGenerator: rate('loadGenerator') };
}

export function formatCpu(split: ReturnType<typeof cpuSplit>): string {
  const f = (v: number) => v.toFixed(2);
  return `CPU (cores): ours ${f(split.ours)}, postgres ${f(split.postgres)}, kafka ${f(split.kafka)}, load generator ${f(split.loadGenerator)}`;
}
