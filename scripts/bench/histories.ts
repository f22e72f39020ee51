// A journey's Temporal work, counted from its histories: workflow tasks, activities, timers, child
// workflows, updates and signals (its own workflow's and its payment workflows').
import { type Client } from '@temporalio/client';
import { type HistoryCounts } from './results';

export function emptyCounts(): HistoryCounts {
  return { workflows: 0, events: 0, workflowTasks: 0, activities: 0, timers: 0, childWorkflows: 0, updates: 0, signals: 0 };
}

export async function countHistories(client: Client, workflowIds: string[]): Promise<HistoryCounts> {
  const counts = emptyCounts();
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    counts.workflows += 1;
    for (const event of history.events ?? []) {
      counts.events += 1;
      if (event.workflowTaskStartedEventAttributes) counts.workflowTasks += 1;
      if (event.activityTaskScheduledEventAttributes) counts.activities += 1;
      if (event.timerStartedEventAttributes) counts.timers += 1;
      if (event.startChildWorkflowExecutionInitiatedEventAttributes) counts.childWorkflows += 1;
      if (event.workflowExecutionUpdateAcceptedEventAttributes) counts.updates += 1;
      if (event.workflowExecutionSignaledEventAttributes) counts.signals += 1;
    }
  }
  return counts;
}

/** The mean per journey over several journeys (each a list of workflow ids), one decimal. */
export async function meanCounts(client: Client, journeys: string[][]): Promise<HistoryCounts> {
  const total = emptyCounts();
  for (const ids of journeys) {
    const counts = await countHistories(client, ids);
    for (const key of Object.keys(total) as Array<keyof HistoryCounts>) total[key] += counts[key];
  }
  const mean = emptyCounts();
  for (const key of Object.keys(mean) as Array<keyof HistoryCounts>)
    mean[key] = Math.round((total[key] / Math.max(1, journeys.length)) * 10) / 10;
  return mean;
}
