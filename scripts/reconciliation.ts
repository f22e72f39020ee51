// npm run reconciliation [-- <how many>]: the last runs of the nightly reconciliation (its
// Schedule's, and any started by hand), newest first: the day, what was checked, the differences
// by kind and how many were compensated. Reads the cluster the environment names, like npm run schedules.
import { type Client } from '@temporalio/client';
import { DIFFERENCE_KINDS, type ReconciliationReport } from '../src/reconciliation/compare';
import { RECONCILIATION_WORKFLOW_TYPE } from '../src/workflows/reconciliation-messages';
import { runClusterScript } from './cluster-script';

export interface RunRow {
  workflowId: string;
  status: string;
  startedAt: Date;
  report?: ReconciliationReport;
}

/** The last `limit` reconciliation runs, newest first, with the report of each completed one. */
export async function lastRuns(client: Client, limit = 10): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = '${RECONCILIATION_WORKFLOW_TYPE}'`, pageSize: limit })) {
    rows.push({ workflowId: run.workflowId, status: run.status.name, startedAt: run.startTime });
    if (rows.length >= limit) break;
  }
  rows.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  for (const row of rows) {
    if (row.status === 'COMPLETED') row.report = await client.workflow.getHandle(row.workflowId).result();
  }
  return rows;
}

const SHORT: Record<(typeof DIFFERENCE_KINDS)[number], string> = {
  'orphan-capture': 'orphan',
  'missing-refund': 'no-refund',
  'amount-mismatch': 'amount',
  'currency-mismatch': 'currency',
  'booking-without-capture': 'booked-only',
  'capture-without-booking': 'captured-only',
};

/** The runs as a text table, one line each. */
export function formatRuns(rows: RunRow[]): string {
  const header = ['day', 'status', 'journeys', 'orders', ...DIFFERENCE_KINDS.map((k) => SHORT[k]), 'compensated', 'workflow'];
  const lines = rows.map((row) => {
    const r = row.report;
    return [
      r?.day ?? '-',
      row.status.toLowerCase(),
      String(r?.checked.journeys ?? '-'),
      String(r?.checked.orders ?? '-'),
      ...DIFFERENCE_KINDS.map((k) => String(r?.byKind[k] ?? '-')),
      String(r?.compensated ?? '-'),
      row.workflowId,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  if (!rows.length) return 'no reconciliation has run yet';
  return [format(header), ...lines.map(format)].join('\n');
}

if (require.main === module) {
  const limit = Number(process.argv[2] ?? 10);
  runClusterScript('reconciliation', async (client) => {
    console.log(formatRuns(await lastRuns(client, Number.isSafeInteger(limit) && limit > 0 ? limit : 10)));
  });
}
