/** One row of bench/results/latest.json (the shape the issue asks for). */
export interface Row {
  ours: number;
  peer: number | null;
  ratio: number | null;
  unit: string;
  peerName: string;
  higherIsBetter: boolean;
}

/** What else a row carries in latest-details.json and the printed table. */
export interface Details {
  target: string;
  /** Met, missed, or not applicable. */
  meetsTarget: boolean | null;
  cpuSeconds: number | null;
  peakRssMb: number | null;
  note: string;
  extra?: Record<string, unknown>;
  error?: string;
}

export const SCENARIOS = ['append', 'fold', 'fold-ceiling', 'e2e-p99-1k', 'e2e-p99-1k-split', 'e2e-max-rate', 'ingest-http', 'ingest-producer', 'rebuild', 'sink', 'taxi-positions', 'taxi-match-p99', 'taxi-surge-p99', 'movieflix-heartbeats', 'movieflix-recs-p99', 'logs-shipped', 'logs-aggregated', 'logs-outage-p99', 'http-adapter'] as const;
export type ScenarioKey = (typeof SCENARIOS)[number];

/** ratio is ours/peer when higher is better and peer/ours when lower is better: above 1 means we win. */
export function row(ours: number, peer: number | null, unit: string, peerName: string, higherIsBetter: boolean): Row {
  const ratio = peer === null || !Number.isFinite(peer) || !Number.isFinite(ours) || ours === 0 || peer === 0 ? null : higherIsBetter ? ours / peer : peer / ours;
  return { ours, peer, ratio, unit, peerName, higherIsBetter };
}

export interface Plan {
  quick: boolean;
  appendSeconds: number;
  foldEvents: number;
  e2eSeconds: { low: number; high: number; probe: number };
  maxRateProbes: number;
  ingestHttpSeconds: number;
  ingestEvents: number;
  sinkEvents: number;
}

export function plan(quick: boolean): Plan {
  return quick
    ? { quick, appendSeconds: 10, foldEvents: 100_000, e2eSeconds: { low: 10, high: 6, probe: 6 }, maxRateProbes: 2, ingestHttpSeconds: 8, ingestEvents: 200_000, sinkEvents: 200_000 }
    : { quick, appendSeconds: 30, foldEvents: 1_000_000, e2eSeconds: { low: 30, high: 20, probe: 15 }, maxRateProbes: 3, ingestHttpSeconds: 20, ingestEvents: 1_000_000, sinkEvents: 1_000_000 };
}
