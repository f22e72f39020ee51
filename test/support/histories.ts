import { type Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireBinary } from '../../scripts/temporal-binaries';
import { getAccount } from '../../src/workflows/account-messages';
import { getEctorZones } from '../../src/workflows/ector-zone-messages';
import { getJourney } from '../../src/workflows/messages';
import { getPayment } from '../../src/workflows/payment-messages';

// RECORD_HISTORIES=1 npx jest test/e2e: the end-to-end suites write the histories of their run to
// test/replay/histories as <kind>.<path>.json, which test/replay/replay.test.ts replays against the
// current workflow code. The path is what the run ended as, e.g. parkingplus-journey.completed.parkingplus-captured,
// ector-journey.open-paid.mobilpay-captured (still waiting), payment.declined.mobilpay, parkingplus-account.linked;
// a run reset by an operator adds `.reset`, one started by continue-as-new `.resumed`.

export const HISTORIES_DIR = path.resolve(__dirname, '../replay/histories');

/** Workflow type → the kind in the file name. */
export const HISTORY_KINDS: Record<string, string> = {
  parkingPlusJourney: 'parkingplus-journey',
  linkcJourney: 'linkc-journey',
  ectorJourney: 'ector-journey',
  payment: 'payment',
  parkingPlusAccount: 'parkingplus-account',
  ectorZoneCache: 'ector-zone-cache',
  refreshEctorZones: 'refresh-ector-zones',
};
const JOURNEYS = new Set(['parkingPlusJourney', 'linkcJourney', 'ectorJourney']);

interface RecordedHistory {
  events: Array<Record<string, { cause?: string; continuedExecutionRunId?: string } | undefined>>;
}

/** What a run ended as (or is now, `open-…` for a journey still waiting); undefined for a run not worth keeping. */
async function outcome(client: Client, workflowId: string, runId: string): Promise<string | undefined> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const { type, status } = await handle.describe();
  if (status.name === 'CONTINUED_AS_NEW') return 'continued-as-new';
  if (JOURNEYS.has(type)) {
    if (!['COMPLETED', 'FAILED', 'RUNNING'].includes(status.name)) return undefined;
    const view = await handle.query(getJourney);
    const state = status.name === 'RUNNING' ? `open-${view.state}` : view.state;
    return view.payment ? `${state}.${view.payment.method}-${view.payment.status}` : state;
  }
  switch (type) {
    case 'payment': {
      if (status.name !== 'COMPLETED') return undefined;
      const view = await handle.query(getPayment);
      return `${view.status}.${view.method}`;
    }
    case 'parkingPlusAccount':
      return status.name === 'RUNNING' ? (await handle.query(getAccount)).status.replace('_', '-') : undefined;
    case 'ectorZoneCache':
      return status.name === 'RUNNING' ? ((await handle.query(getEctorZones)).zones.length ? 'filled' : 'empty') : undefined;
    case 'refreshEctorZones':
      return status.name === 'COMPLETED' || status.name === 'FAILED' ? status.name.toLowerCase() : undefined;
  }
  return undefined;
}

function qualifiers(history: RecordedHistory): string[] {
  const reset = history.events.some((e) => e.workflowTaskFailedEventAttributes?.cause === 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW');
  const resumed = !!history.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  return [...(reset ? ['reset'] : []), ...(resumed ? ['resumed'] : [])];
}

/**
 * With RECORD_HISTORIES set, writes the histories of every workflow run on the stack's task queue
 * (the longest of each name; `keep` narrows the names), as `temporal workflow show --output json` prints them.
 */
export async function recordHistories(
  stack: { service: { temporal: Client }; env: { address: string }; config: { TEMPORAL_TASK_QUEUE: string } },
  keep: (name: string) => boolean = () => true,
): Promise<string[]> {
  if (!process.env.RECORD_HISTORIES) return [];
  const client = stack.service.temporal;
  const chosen = new Map<string, { json: string; events: number }>();
  for await (const run of client.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` })) {
    const kind = HISTORY_KINDS[run.type];
    const ended = kind && (await outcome(client, run.workflowId, run.runId));
    if (!ended) continue;
    const json = execFileSync(requireBinary('cli'), [
      ...['workflow', 'show', '--workflow-id', run.workflowId, '--run-id', run.runId],
      ...['--address', stack.env.address, '--output', 'json'],
    ]).toString();
    const history = JSON.parse(json) as RecordedHistory;
    const name = [kind, ended, ...qualifiers(history)].join('.');
    if (keep(name) && history.events.length > (chosen.get(name)?.events ?? 0)) chosen.set(name, { json, events: history.events.length });
  }
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const [name, { json }] of chosen) writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), json);
  return [...chosen.keys()];
}
