// After a chaos run: what the books and Temporal say. Every journey a client was answered for (or
// that its Idempotency-Key names) must exist and have reached its end; kept money must equal booked
// money with at most one order holding it (books.ts); no open workflow may wait on nothing; no
// history may pass the budget. The judgements are pure functions; the readers below only fetch.
import { type Client } from '@temporalio/client';
import { type temporal as proto } from '@temporalio/proto';
import { journeyIdFor, ownerOf } from '../../src/domain/tenants';
import { JourneyState } from '../../src/workflows/search-attributes';
import {
  ectorBookings,
  judgeMoney,
  linkcBookings,
  parkingPlusBooks,
  processorHoldings,
  type EctorRecords,
  type JourneyGroup,
  type LinkcRecords,
  type ParkingPlusRecords,
} from './books';
import { newClientStats, RetryingHttp, sleep } from './http';
import { type ChaosTargets, type JourneyOutcome, type Provider } from './journeys';

export interface HistoryBudget {
  events: number;
  bytes: number;
}

export interface Reconciliation {
  /** journeys reconciled (outcomes + extra) */
  journeys: number;
  /** final journey state → count ('missing': Temporal does not have it; 'unstarted': no id was ever answered or derivable) */
  states: Record<string, number>;
  /** a journey the client was answered for (or by its idempotency key) that Temporal does not have, or that did not reach its end */
  lost: string[];
  /** an open workflow (any type) with no pending activity, child, timer or expected wait */
  stuck: string[];
  /** journey ids with > 1 order holding money net (processor ledgers) */
  chargedTwice: string[];
  /** processor net kept vs operator booked */
  moneyMismatch: Array<{ journeyId: string; currency: string; keptMinor: number; bookedMinor: number }>;
  overBudget: Array<{ workflowId: string; events: number; bytes: number }>;
  keptMinor: Record<string, number>;
  bookedMinor: Record<string, number>;
  /** Why each lost or stuck id is there. */
  reasons: Record<string, string>;
}

export const TERMINAL_STATES = ['completed', 'cancelled', 'expired', 'failed'];

/**
 * Where a driven journey ends. Parking+Plus and LinkC: completed (paid, and the car left). Ector: the
 * booking paid at Ector in its window — the journey then waits on timers for the stay (paid until
 * startAt, active until endAt, then completed), days away: those waits are its expected end.
 */
export const END_STATES: Record<Provider, string[]> = {
  parkingplus: ['completed'],
  linkc: ['completed'],
  ector: ['paid', 'active', 'completed'],
};

/** Whether a journey is where it should end; a journey abuse started on the side must be terminal (cancelled) or a booked Ector stay. */
export function reachedEnd(provider: Provider, state: string, extra: boolean): boolean {
  if (extra) return TERMINAL_STATES.includes(state) || (provider === 'ector' && END_STATES.ector.includes(state));
  return END_STATES[provider].includes(state);
}

/** The timers a history started that neither fired nor were cancelled. */
export function openTimers(events: proto.api.history.v1.IHistoryEvent[]): string[] {
  const open = new Set<string>();
  for (const e of events) {
    const started = e.timerStartedEventAttributes?.timerId;
    if (started) open.add(started);
    const fired = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
    if (fired) open.delete(fired);
  }
  return [...open];
}

/** An open workflow, as its description and its history show what it waits on. */
export interface OpenWorkflow {
  workflowId: string;
  type: string;
  /** JourneyState (a search attribute: readable without the data converter's key). */
  journeyState?: string;
  pendingActivities: number;
  pendingChildren: number;
  pendingNexusOperations: number;
  pendingWorkflowTask: boolean;
  openTimers: number;
}

/**
 * Workflows that wait on a condition with no timer by design: the Parking+Plus account (tokens on
 * request, for as long as the account lives), the Ector zone cache (the daily refresh's signal),
 * a tenant's event subscriptions (for as long as the tenant subscribes), and a Parking+Plus journey that is active (the car is parked: the driver finalizes when leaving,
 * maybe days later) or needs_reauth (until the driver links the account again).
 */
export function expectedWait(w: Pick<OpenWorkflow, 'type' | 'journeyState'>): string | undefined {
  if (w.type === 'parkingPlusAccount') return 'a Parking+Plus account answers token requests for as long as it lives';
  if (w.type === 'ectorZoneCache') return 'the zone cache waits for the daily refresh';
  if (w.type === 'subscriptions') return "a tenant's subscriptions wait for changes for as long as it subscribes";
  if (w.type === 'parkingPlusJourney' && (w.journeyState === 'active' || w.journeyState === 'needs_reauth'))
    return `a Parking+Plus journey ${w.journeyState} waits for its driver`;
  return undefined;
}

/** Why an open workflow is stuck (waits on nothing that will ever come), or undefined. */
export function stuckReason(w: OpenWorkflow): string | undefined {
  if (w.pendingActivities || w.pendingChildren || w.pendingNexusOperations || w.pendingWorkflowTask || w.openTimers) return undefined;
  if (expectedWait(w)) return undefined;
  return `${w.type}${w.journeyState ? ` (${w.journeyState})` : ''} is open with no pending activity, child, task or timer`;
}

/** Runs of workflows whose history passed the budget (each run of a continued-as-new chain on its own). */
export function overBudget(
  runs: Array<{ workflowId: string; historyLength: number; historySize?: number }>,
  budget: HistoryBudget,
): Reconciliation['overBudget'] {
  return runs
    .filter((r) => r.historyLength > budget.events || (r.historySize ?? 0) > budget.bytes)
    .map((r) => ({ workflowId: r.workflowId, events: r.historyLength, bytes: r.historySize ?? 0 }));
}

// ---- the readers

const READ_DEADLINE_MS = 120_000;

interface Run {
  workflowId: string;
  runId: string;
  type: string;
  running: boolean;
  historyLength: number;
  historySize?: number;
  journeyState?: string;
}

export async function reconcile(
  temporal: Client,
  targets: ChaosTargets,
  outcomes: JourneyOutcome[],
  budget: HistoryBudget,
): Promise<Reconciliation> {
  const http = new RetryingHttp(newClientStats(), Date.now() + READ_DEADLINE_MS);
  const reasons: Record<string, string> = {};

  // The journeys: every outcome's (its id, or the one its key names) and the extra ones abuse started.
  const tenant = outcomes.map((o) => o.journeyId && ownerOf('journey', o.journeyId)).find((t): t is string => !!t);
  const idOf = (o: JourneyOutcome) => o.journeyId ?? (tenant ? journeyIdFor(tenant, o.idempotencyKey) : undefined);
  const readState = async (id: string): Promise<string> => {
    const answer = await http.request(`${targets.apiUrl}/v1/journeys/${id}`, { headers: { 'x-api-key': targets.apiKey } });
    if (answer.status === 200) return String(answer.body.state);
    return answer.status === 404 ? 'missing' : `unreadable (${answer.status})`;
  };
  const states: Record<string, number> = {};
  const lost: string[] = [];
  const judge = async (o: JourneyOutcome, id: string | undefined, extra: boolean) => {
    const state = id ? await readState(id) : 'unstarted';
    states[state] = (states[state] ?? 0) + 1;
    const name = id ?? `journey #${o.index} (${o.idempotencyKey})`;
    if (!extra && !o.journeyId) reasons[name] = `its start was never answered (${o.error ?? 'no answer'}); Temporal: ${state}`;
    else if (state === 'missing') reasons[name] = 'the client was answered for it; Temporal does not have it';
    else if (!reachedEnd(o.provider, state, extra)) reasons[name] = `it did not reach its end: ${state}`;
    else return;
    lost.push(name);
  };
  for (const o of outcomes) {
    await judge(o, idOf(o), false);
    for (const extra of o.extraJourneyIds) await judge(o, extra, true);
  }

  // Money, from the simulators' own records.
  const read = async <T>(url: string): Promise<T> => {
    const answer = await http.request(url);
    if (answer.status !== 200) throw new Error(`reading ${url}: ${answer.status}`);
    return answer.body as T;
  };
  const sims = targets.simulators;
  const [mobilpay, epx, parkingplus, linkc, ector] = await Promise.all([
    read<{ entries: Parameters<typeof processorHoldings>[0] }>(`${sims.mobilpay}/__sandbox/ledger`),
    read<{ entries: Parameters<typeof processorHoldings>[0] }>(`${sims.epx}/__sandbox/ledger`),
    read<ParkingPlusRecords>(`${sims.parkingplus}/__sandbox/stats`),
    read<LinkcRecords>(`${sims.linkc}/__sandbox/ledger`),
    read<EctorRecords>(`${sims.ector}/__sandbox/bookings`),
  ]);
  const groups: JourneyGroup[] = [];
  // What the operators know a journey by: the Parking+Plus driver's e-mail, the LinkC ticket (Ector keeps our id).
  const journeyOfDriver = new Map<string, string>();
  const journeyOfTicket = new Map<string, string>();
  for (const o of outcomes) {
    const id = idOf(o) ?? o.extraJourneyIds[0];
    if (!id) continue;
    groups.push({ journeyId: id, members: o.extraJourneyIds });
    if (o.operatorRef && o.provider === 'parkingplus') journeyOfDriver.set(o.operatorRef, id);
    if (o.operatorRef && o.provider === 'linkc') journeyOfTicket.set(o.operatorRef, id);
  }
  const parkingPlusMoney = parkingPlusBooks(parkingplus, journeyOfDriver);
  const money = judgeMoney(
    groups,
    [...processorHoldings(mobilpay.entries), ...processorHoldings(epx.entries), ...parkingPlusMoney.holdings],
    [...parkingPlusMoney.bookings, ...linkcBookings(linkc, journeyOfTicket), ...ectorBookings(ector)],
  );

  // Temporal: every run of the namespace; the open ones described and their histories read.
  const runs = await retried(() => listRuns(temporal));
  const stuck: string[] = [];
  const sizes: Array<Pick<Run, 'workflowId' | 'historyLength' | 'historySize'>> = [];
  for (const run of runs) {
    if (!run.running) {
      sizes.push(run);
      continue;
    }
    const open = await retried(() => describeOpen(temporal, run));
    sizes.push({ ...run, historyLength: open.historyLength, historySize: open.historySize });
    const why = open.running ? stuckReason(open.workflow) : undefined;
    if (why) {
      stuck.push(run.workflowId);
      reasons[run.workflowId] = why;
    }
  }

  return {
    journeys: outcomes.reduce((n, o) => n + 1 + o.extraJourneyIds.length, 0),
    states,
    lost,
    stuck,
    chargedTwice: money.chargedTwice,
    moneyMismatch: money.moneyMismatch,
    overBudget: overBudget(sizes, budget),
    keptMinor: money.keptMinor,
    bookedMinor: money.bookedMinor,
    reasons,
  };
}

async function listRuns(temporal: Client): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const e of temporal.workflow.list()) {
    runs.push({
      workflowId: e.workflowId,
      runId: e.runId,
      type: e.type,
      running: e.status.name === 'RUNNING',
      historyLength: e.historyLength,
      historySize: e.historySize,
      journeyState: e.typedSearchAttributes.get(JourneyState),
    });
  }
  return runs;
}

/** An open run's pending work and open timers, and whether it is still running. */
async function describeOpen(
  temporal: Client,
  run: Run,
): Promise<{ running: boolean; historyLength: number; historySize?: number; workflow: OpenWorkflow }> {
  const handle = temporal.workflow.getHandle(run.workflowId, run.runId);
  const description = await handle.describe();
  const raw = description.raw;
  const history = await handle.fetchHistory();
  return {
    running: description.status.name === 'RUNNING',
    historyLength: description.historyLength,
    historySize: description.historySize,
    workflow: {
      workflowId: run.workflowId,
      type: run.type,
      journeyState: description.typedSearchAttributes.get(JourneyState) ?? run.journeyState,
      pendingActivities: raw.pendingActivities?.length ?? 0,
      pendingChildren: raw.pendingChildren?.length ?? 0,
      pendingNexusOperations: raw.pendingNexusOperations?.length ?? 0,
      pendingWorkflowTask: !!raw.pendingWorkflowTask,
      openTimers: openTimers(history.events ?? []).length,
    },
  };
}

/** Temporal may be restarting when the run ends: a read is tried again for a while. */
async function retried<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(500 * Math.min(attempt, 6));
    }
  }
}
