// The shape of `npm run bench`'s results (bench/results/*.json): what the chart and the README quote.

export type JourneyKind = 'parkingplus' | 'linkc' | 'ector';

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** What one journey's histories hold (the journey's own and its payment workflows'), counted by kind of event. */
export interface HistoryCounts {
  workflows: number;
  events: number;
  workflowTasks: number;
  activities: number;
  timers: number;
  childWorkflows: number;
  updates: number;
  signals: number;
}

export interface LevelRun {
  /** Journeys completed (paid, their last HTTP step answered) in the level. */
  journeys: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** Per step (`start`, `pay`, …; the bare run names its updates and signals the same): latency in ms. */
  steps: Record<string, Percentiles>;
  /** CPU ms per journey by process (dev server, worker, API, simulators, this benchmark's own process). */
  cpuMsPerJourney?: Record<string, number>;
}

export interface KindResults {
  kind: JourneyKind;
  /** Per journey, from the histories of the last level's journeys (mean over the sampled journeys). */
  histories: { parkflow: HistoryCounts; baseline: HistoryCounts };
  levels: Array<{ concurrency: number; parkflow: LevelRun; baseline: LevelRun }>;
}

export interface ScaleResults {
  openJourneys: number;
  startSeconds: number;
  /** Resident memory once they have waited a while after the last start (full profile: a minute), in MB. */
  workerRssMb: number;
  devServerRssMb: number;
  /** The same, 5 s after the last start. */
  justStarted: { workerRssMb: number; devServerRssMb: number };
  /** One step (GET and a refresh, then pay) on one of the open journeys, ms. */
  stepMs: Record<string, number>;
  /**
   * A worker started while they wait, `behind` of them asked to look now while it was down: until it polls,
   * until a step on one of them is answered, and until the task queue has no backlog left (all from its start).
   */
  workerRestart: { readyMs: number; firstStepMs: number; behind: number; caughtUpMs: number; rssMb: number };
}

export interface BenchResults {
  profile: string;
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; os: string; temporal: string };
  concurrencies: number[];
  kinds: KindResults[];
  scale?: ScaleResults;
}
