// The nightly reconciliation's names, shared by the workflow, its Schedule and the report command.

/** The Schedule; its runs' workflow ids are this followed by the scheduled time. */
export const RECONCILIATION_SCHEDULE_ID = 'reconciliation';
export const RECONCILIATION_WORKFLOW_TYPE = 'reconciliation';

export interface ReconciliationInput {
  /** The day to reconcile (YYYY-MM-DD, UTC); by default the day before the run's scheduled time. */
  day?: string;
}

/** The workflow id of a run started by hand for a day (the Schedule names its own runs). */
export function reconciliationWorkflowId(day: string): string {
  return `${RECONCILIATION_SCHEDULE_ID}-${day}`;
}
