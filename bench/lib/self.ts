/**
 * Helpers for the measured child processes: report progress, resources and the RESULT line.
 */
export function cpuMark(): NodeJS.CpuUsage {
  return process.cpuUsage();
}

/** CPU seconds since `mark`, and this process's peak RSS so far (VmHWM, MB). */
export function resources(mark: NodeJS.CpuUsage): { cpuSeconds: number; peakRssMb: number } {
  const cpu = process.cpuUsage(mark);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

export function result(value: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(value)}\n`);
}

export function progress(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Calls `tick` every `ms` until the returned stop function is called. */
export function every(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

export const quietLogger = { log: () => undefined, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
