// One chaos run: the production build as separate processes, N journeys driven through the HTTP API
// by well-behaved clients, faults injected one after another while journeys are in flight, then the
// books and Temporal reconciled. `npm run chaos` prints its report; the short profile runs in `npm test`.
import { type Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { createDataConverter } from '../../src/temporal/data-converter';
import { connectClient } from '../../src/temporal/connection';
import { appliedBySimulators, calmDown, FAULTS, faultSchedule, type FaultName } from './faults';
import {
  driveJourney,
  newClientStats,
  type Abuse,
  type ChaosTargets,
  type ClientStats,
  type JourneyOutcome,
  type JourneyPlan,
  type Processor,
  type Provider,
} from './journeys';
import { sleep } from './http';
import { startChaosProcesses, type ChaosProcesses } from './processes';
import { reconcile, type HistoryBudget, type Reconciliation } from './reconcile';

export interface ChaosOptions {
  profile: 'full' | 'short';
  journeys: number;
  /** Journeys driven at once. */
  concurrency: number;
  seed: string;
  /** Logs, data and the report go here. */
  runDir: string;
  /** The whole run is cut after this long (the report then says what did not finish). */
  maxMinutes: number;
  historyBudget: HistoryBudget;
  /** Progress lines (none in tests). */
  onProgress?: (line: string) => void;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'onProgress'>;
  startedAt: string;
  durationMs: number;
  /** Journeys per provider and processor. */
  mix: Record<string, number>;
  faults: Record<string, number>;
  abuse: Record<Abuse, number>;
  client: Omit<ClientStats, 'serverErrors'> & { serverErrors: number; serverErrorSamples: ClientStats['serverErrors'] };
  processes: Record<string, { starts: number; kills: number; unexpectedExits: number }>;
  unfinished: Array<{ index: number; provider: Provider; journeyId?: string; lastState?: string; error?: string }>;
  reconciliation: Reconciliation;
  /** Why the run failed; empty when it passed. */
  failures: string[];
}

export const ABUSES: Abuse[] = [
  'concurrent-start-same-key',
  'repeat-start-same-key',
  'start-different-key',
  'double-pay',
  'concurrent-steps',
];
const PROVIDERS: Provider[] = ['parkingplus', 'linkc', 'ector'];
/**
 * The processors each provider's journeys pay through: EPX books in USD only, so LinkC (BRL) and
 * Ector (EUR) pay through MobilPay; Parking+Plus's own pay page takes either.
 */
const PROCESSORS: Record<Provider, Processor[]> = { parkingplus: ['mobilpay', 'epx'], linkc: ['mobilpay'], ector: ['mobilpay'] };

/** The journeys of a run: providers in turn, their processors alternating, abuse drawn from the seed (every kind at least once). */
export function planJourneys(count: number, seed: string, abuseRate: number): JourneyPlan[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const abuse = ABUSES.filter((kind, k) => index === k || random() < abuseRate);
    const provider = PROVIDERS[index % PROVIDERS.length]!;
    const processors = PROCESSORS[provider];
    return {
      index,
      provider,
      processor: processors[Math.floor(index / PROVIDERS.length) % processors.length]!,
      abuse,
      seed,
    };
  });
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const say = options.onProgress ?? (() => undefined);
  mkdirSync(options.runDir, { recursive: true });
  const apiKey = `chaos-${randomBytes(12).toString('hex')}`;
  say(`starting the dev server, the simulators, the worker and the API (logs in ${options.runDir}/logs)`);
  const processes = await startChaosProcesses(options.runDir, apiKey);
  const config = loadConfig(processes.env);
  const temporal = await connectClient(config, { dataConverter: createDataConverter(config) });
  try {
    return await chaosOn(processes, temporal, apiKey, options, started, say);
  } finally {
    await temporal.connection.close().catch(() => undefined);
    await processes.stop();
  }
}

async function chaosOn(
  processes: ChaosProcesses,
  temporal: Client,
  apiKey: string,
  options: ChaosOptions,
  started: number,
  say: (line: string) => void,
): Promise<ChaosReport> {
  const local = (port: number) => `http://127.0.0.1:${port}`;
  const { ports } = processes;
  const targets: ChaosTargets = {
    apiUrl: local(ports.api),
    apiKey,
    simulators: {
      parkingplus: local(ports.parkingplus),
      linkc: local(ports.linkc),
      ector: local(ports.ector),
      mobilpay: local(ports.mobilpay),
      epx: local(ports.epx),
    },
  };
  const plans = planJourneys(options.journeys, options.seed, options.profile === 'short' ? 0.25 : 0.08);
  const stats = newClientStats();
  const cutoff = started + options.maxMinutes * 60_000;
  const outcomes: JourneyOutcome[] = [];
  let finished = 0;

  // The clients: `concurrency` journeys at a time, each to its end (or the cutoff).
  let next = 0;
  const lane = async () => {
    while (next < plans.length) {
      const plan = plans[next++]!;
      outcomes.push(await driveJourney(targets, plan, stats, { deadlineMs: cutoff }));
      finished += 1;
      if (finished % 25 === 0) say(`${finished}/${plans.length} journeys driven`);
    }
  };
  const driving = Promise.all(Array.from({ length: Math.min(options.concurrency, plans.length) }, lane));

  // The faults: one after another, the i-th once i/(n+1) of the journeys are done (so always under load).
  const injected: Partial<Record<FaultName, number>> = {};
  const schedule = faultSchedule(options.profile);
  const windowMs = options.profile === 'short' ? 4000 : 15_000;
  const faultFailures: string[] = [];
  const ctx = { processes, simulators: targets.simulators, windowMs, inFlight: () => stats.inFlight };
  let allDriven = false;
  void driving.then(() => (allDriven = true));
  for (const [i, name] of schedule.entries()) {
    const due = Math.floor((i * plans.length) / (schedule.length + 1));
    while (finished < due && !allDriven) await sleep(100);
    if (allDriven) {
      faultFailures.push(`the journeys ended before the fault "${name}" could be injected`);
      break;
    }
    say(`fault: ${name}`);
    try {
      await FAULTS[name](ctx);
      injected[name] = (injected[name] ?? 0) + 1;
    } catch (err) {
      faultFailures.push(`fault "${name}" could not be injected: ${(err as Error).message}`);
    }
  }
  await driving;
  await calmDown(targets.simulators);

  say('reconciling from the simulators and from Temporal');
  await settle(temporal, cutoff);
  const reconciliation = await reconcile(temporal, targets, outcomes, options.historyBudget);
  const applied = await appliedBySimulators(targets.simulators);
  const faults: Record<string, number> = {};
  for (const name of Object.keys(FAULTS) as FaultName[]) faults[name] = applied[name] ?? injected[name] ?? 0;
  faults['worker kill -9'] = processes.worker.kills;
  faults['API kill -9 mid-request'] = processes.api.kills;
  faults['Temporal dev-server restart'] = processes.devServer.restarts;
  faults['token-expiry storm'] = injected['token-expiry storm'] ?? 0;

  const report: ChaosReport = {
    options: { ...options, onProgress: undefined } as Omit<ChaosOptions, 'onProgress'>,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    mix: countBy(plans, (p) => `${p.provider} + ${p.processor}`),
    faults,
    abuse: Object.fromEntries(ABUSES.map((kind) => [kind, plans.filter((p) => p.abuse.includes(kind)).length])) as Record<Abuse, number>,
    client: { ...stats, serverErrors: stats.serverErrors.length, serverErrorSamples: stats.serverErrors.slice(0, 20) },
    processes: Object.fromEntries(
      [processes.simulators, processes.worker, processes.api].map((p) => [
        p.name,
        { starts: p.starts, kills: p.kills, unexpectedExits: p.unexpectedExits },
      ]),
    ),
    unfinished: outcomes
      .filter((o) => !o.done)
      .map((o) => ({ index: o.index, provider: o.provider, journeyId: o.journeyId, lastState: o.lastState, error: o.error })),
    reconciliation,
    failures: [],
  };
  report.failures = [...faultFailures, ...verdict(report)];
  return report;
}

/** What makes a run fail: anything lost, charged twice, stuck, a 5xx without Retry-After, a crash. */
export function verdict(report: ChaosReport): string[] {
  const r = report.reconciliation;
  const failures: string[] = [];
  const list = (what: string, items: unknown[]) =>
    items.length && failures.push(`${what}: ${items.length} (${JSON.stringify(items.slice(0, 5))})`);
  list('lost', r.lost);
  list('charged twice', r.chargedTwice);
  list('stuck', r.stuck);
  list('money kept differs from money booked', r.moneyMismatch);
  list('history over budget', r.overBudget);
  list('unfinished journeys', report.unfinished);
  list('client 5xx without Retry-After', report.client.serverErrorSamples);
  for (const [name, p] of Object.entries(report.processes)) {
    if (p.unexpectedExits) failures.push(`${name} exited ${p.unexpectedExits} time(s) on its own`);
  }
  return failures;
}

/** Waits (bounded) until no journey workflow changes any more: payments finishing, cars leaving. */
async function settle(temporal: Client, cutoff: number): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  const until = Math.min(cutoff + 60_000, Date.now() + 120_000);
  while (Date.now() < until) {
    const { count: open } = await temporal.workflow.count('ExecutionStatus = "Running"');
    if (open !== last) [last, stableSince] = [open, Date.now()];
    if (Date.now() - stableSince > 5000) return;
    await sleep(1000);
  }
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** mulberry32 over a hash of the seed: the same seed draws the same run. */
function seededRandom(seed: string): () => number {
  let a = [...seed].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
