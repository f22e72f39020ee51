// The faults a chaos run injects, one kind at a time, while journeys are in flight: process kills
// and restarts, upstream failures at a rate, a token-expiry storm, payment notifications dropped,
// duplicated, delayed and reordered. Each says what it did; the simulators count what they applied.
import { sleep } from './http';
import { type ChaosProcesses } from './processes';

export type FaultName =
  | 'worker kill -9'
  | 'API kill -9 mid-request'
  | 'Temporal dev-server restart'
  | 'upstream 5xx'
  | 'upstream latency beyond the timeout'
  | 'upstream hang'
  | 'token-expiry storm'
  | 'notifications dropped'
  | 'notifications duplicated'
  | 'notifications delayed'
  | 'notifications reordered';

/** The longest a fault stays on waiting to be applied once (a short run makes few calls). */
const FAULT_MAX_MS = 60_000;

/** The share of upstream calls a fault window hits. */
export const FAULT_RATE = 0.2;

/** The server-to-server paths of each simulator (never the hosted pages a driver's browser opens). */
const UPSTREAM_PATHS: Record<string, string[]> = {
  parkingplus: ['/api/car_driver', '/api/payment/status'],
  mobilpay: ['/payment/card/start', '/operation'],
  epx: ['/keyexchange', '/serverpost'],
  linkc: ['/api'],
  ector: ['/v3'],
};

export interface FaultContext {
  processes: ChaosProcesses;
  simulators: Record<string, string>;
  /** How long a window of upstream faults stays open. */
  windowMs: number;
  /** Requests the clients have in flight now (an API kill waits for some). */
  inFlight(): number;
}

export interface FaultEvent {
  name: FaultName;
  inject(ctx: FaultContext): Promise<void>;
}

const post = async (url: string, body?: unknown) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
};

/**
 * A window in which FAULT_RATE of every upstream's calls fail this way: open for `windowMs`, and on
 * until the simulators have applied it at least once (a short run makes few calls), then closed.
 */
function upstreamWindow(rule: { status?: number; latencyMs?: number; hang?: boolean }, kind: 'status' | 'latency' | 'hang') {
  return async (ctx: FaultContext) => {
    const before = await appliedOfKind(ctx.simulators, kind);
    for (const [simulator, paths] of Object.entries(UPSTREAM_PATHS)) {
      for (const path of paths) {
        await post(`${ctx.simulators[simulator]}/__sandbox/faults`, { ...rule, path, probability: FAULT_RATE, forMs: FAULT_MAX_MS });
      }
    }
    await waitFor(async () => (await appliedOfKind(ctx.simulators, kind)) > before, ctx.windowMs);
    for (const simulator of Object.keys(UPSTREAM_PATHS)) await fetch(`${ctx.simulators[simulator]}/__sandbox/faults`, { method: 'DELETE' });
  };
}

async function appliedOfKind(simulators: Record<string, string>, kind: 'status' | 'latency' | 'hang'): Promise<number> {
  let sum = 0;
  for (const name of Object.keys(UPSTREAM_PATHS)) {
    sum += ((await (await fetch(`${simulators[name]}/__sandbox/faults`)).json()) as { applied: Record<string, number> }).applied[kind] ?? 0;
  }
  return sum;
}

/** Waits at least `minMs`, then until `done()` (checked every 500 ms), never longer than FAULT_MAX_MS. */
async function waitFor(done: () => Promise<boolean>, minMs = 0): Promise<void> {
  for (let waited = 0; waited < FAULT_MAX_MS && (waited < minMs || !(await done())); waited += 500) await sleep(500);
}

async function whenSomethingInFlight(ctx: FaultContext): Promise<void> {
  for (let waited = 0; ctx.inFlight() === 0 && waited < 10_000; waited += 20) await sleep(20);
}

export const FAULTS: Record<FaultName, FaultEvent['inject']> = {
  'worker kill -9': async ({ processes }) => {
    await processes.worker.kill9();
    await sleep(1000); // the tasks it held time out on the server
    await processes.worker.start();
  },
  'API kill -9 mid-request': async (ctx) => {
    await whenSomethingInFlight(ctx);
    await ctx.processes.api.kill9();
    await sleep(500); // clients meet a refused connection, and retry
    await ctx.processes.api.start();
  },
  'Temporal dev-server restart': async ({ processes }) => processes.devServer.restart(),
  'upstream 5xx': upstreamWindow({ status: 503 }, 'status'),
  // UPSTREAM_TIMEOUT_MS is 2 s in a chaos run: 3 s is beyond it (the upstream still does the work).
  'upstream latency beyond the timeout': upstreamWindow({ latencyMs: 3000 }, 'latency'),
  'upstream hang': upstreamWindow({ hang: true }, 'hang'),
  'token-expiry storm': async ({ simulators, windowMs }) => {
    // Every token of Parking+Plus and LinkC expires, again and again, while calls go on.
    for (let elapsed = 0; elapsed < windowMs; elapsed += 1000) {
      await post(`${simulators.parkingplus}/__sandbox/tokens/expire`);
      await post(`${simulators.linkc}/__sandbox/tokens/expire`);
      await sleep(1000);
    }
  },
  // Notifications: each control stays on until MobilPay has applied it at least once (a short run pays
  // through MobilPay only a few times a minute), never longer than FAULT_MAX_MS.
  'notifications dropped': async ({ simulators }) => {
    await whileNotApplied(simulators, 'dropped', () => post(`${simulators.mobilpay}/__sandbox/notifications`, { dropNext: 2 }));
    await post(`${simulators.mobilpay}/__sandbox/notifications`, { dropNext: 0 });
  },
  'notifications duplicated': async ({ simulators }) => {
    await whileNotApplied(simulators, 'duplicated', () => post(`${simulators.mobilpay}/__sandbox/notifications`, { duplicateNext: 2 }));
    await post(`${simulators.mobilpay}/__sandbox/notifications`, { duplicateNext: 0 });
  },
  'notifications delayed': async ({ simulators, windowMs }) => {
    await whileNotApplied(simulators, 'delayed', () => post(`${simulators.mobilpay}/__sandbox/notifications`, { delayMs: 3000 }), windowMs);
    await post(`${simulators.mobilpay}/__sandbox/notifications`, { delayMs: 0 });
  },
  'notifications reordered': async ({ simulators, windowMs }) => {
    await post(`${simulators.mobilpay}/__sandbox/notifications`, { hold: true });
    await waitFor(async () => (await injected(simulators)).held >= 2, windowMs); // until two can swap places
    await post(`${simulators.mobilpay}/__sandbox/notifications/release`); // newest first
  },
};

type Injected = { dropped: number; duplicated: number; delayed: number; reordered: number; held: number };
const injected = async (simulators: Record<string, string>): Promise<Injected> =>
  (await (await fetch(`${simulators.mobilpay}/__sandbox/notifications/injected`)).json()) as Injected;

/** Turns a notification control on and waits (at least `minMs`) until the simulator counts it applied once more. */
async function whileNotApplied(simulators: Record<string, string>, kind: keyof Injected, turnOn: () => Promise<void>, minMs = 0) {
  const before = (await injected(simulators))[kind];
  await turnOn();
  await waitFor(async () => (await injected(simulators))[kind] > before, minMs);
}

/** What the simulators say they did, by fault name. */
export async function appliedBySimulators(simulators: Record<string, string>): Promise<Partial<Record<FaultName, number>>> {
  const applied: Partial<Record<FaultName, number>> = { 'upstream 5xx': 0, 'upstream latency beyond the timeout': 0, 'upstream hang': 0 };
  for (const name of Object.keys(UPSTREAM_PATHS)) {
    const faults = (await (await fetch(`${simulators[name]}/__sandbox/faults`)).json()) as { applied: Record<string, number> };
    applied['upstream 5xx']! += faults.applied.status ?? 0;
    applied['upstream latency beyond the timeout']! += faults.applied.latency ?? 0;
    applied['upstream hang']! += faults.applied.hang ?? 0;
  }
  const injected = (await (await fetch(`${simulators.mobilpay}/__sandbox/notifications/injected`)).json()) as Record<string, number>;
  applied['notifications dropped'] = injected.dropped;
  applied['notifications duplicated'] = injected.duplicated;
  applied['notifications delayed'] = injected.delayed;
  applied['notifications reordered'] = injected.reordered;
  return applied;
}

/** Stops every fault: windows closed, notifications flowing (held ones delivered). */
export async function calmDown(simulators: Record<string, string>): Promise<void> {
  for (const name of Object.keys(UPSTREAM_PATHS)) {
    await fetch(`${simulators[name]}/__sandbox/faults`, { method: 'DELETE' });
  }
  await post(`${simulators.mobilpay}/__sandbox/notifications`, { dropNext: 0, duplicateNext: 0, delayMs: 0 });
  await post(`${simulators.mobilpay}/__sandbox/notifications/release`);
}

/** The order of a run's faults: each kind at least once, the kills several times, spread over the run. */
export function faultSchedule(profile: 'full' | 'short'): FaultName[] {
  // The notification faults early, while most journeys still have to pay.
  const once: FaultName[] = [
    'upstream 5xx',
    'notifications reordered',
    'notifications dropped',
    'worker kill -9',
    'notifications duplicated',
    'upstream latency beyond the timeout',
    'notifications delayed',
    'API kill -9 mid-request',
    'token-expiry storm',
    'upstream hang',
    'Temporal dev-server restart',
    'worker kill -9',
  ];
  if (profile === 'short') return once;
  return [
    ...once,
    'API kill -9 mid-request',
    'upstream 5xx',
    'worker kill -9',
    'token-expiry storm',
    'Temporal dev-server restart',
    'worker kill -9',
  ];
}
