/** Progress of a running simulation, printed once a second by `cli simulate`. */
export interface SimulationProgress {
  elapsedSeconds: number;
  sent: number;
  ok: number;
  /** 4xx answers (e.g. a like on a deleted post): the system refused correctly. */
  rejected: number;
  /** 5xx answers and transport errors. */
  failed: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** What every simulator gets from `cli simulate <context>`. */
export interface SimulationOptions {
  /** Base URL of a running instance (loopback only). */
  baseUrl: string;
  /** To sign the simulated users' bearer tokens. */
  jwtSecret: string;
  /** Requests (or records) per second. */
  rate: number;
  durationSeconds: number;
  /** Distinct simulated users. */
  users: number;
  /** Requests in flight at most. */
  concurrency: number;
  /** Simulator-specific parameters from `--param name=value` (validated by the simulator). */
  params: Record<string, string>;
  onProgress(progress: SimulationProgress): void;
}

/** Realistic traffic for one context, run against a live instance by `cli simulate <context>`. */
export interface SimulatorDefinition {
  /** One line for `cli simulate --help`. */
  description: string;
  /** Names and meanings of the accepted `--param` values, for the help text. */
  params?: Record<string, string>;
  /** Defaults of the common options for this workload. @default rate 200, duration 30, users 2000, concurrency 64 */
  defaults?: Partial<Pick<SimulationOptions, 'rate' | 'durationSeconds' | 'users' | 'concurrency'>>;
  run(options: SimulationOptions): Promise<SimulationProgress>;
}
