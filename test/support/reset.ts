import { type Client, type WorkflowHandle } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';

// An operator's reset (Temporal UI → Reset, `temporal workflow reset --event-id`), for the tests
// that prove a reset run keeps the money and the journey safe.

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The first completed workflow task: a reset there runs the first step again. */
export const firstWorkflowTask = (events: HistoryEvent[]) => events.find((e) => e.workflowTaskCompletedEventAttributes)!;

/** Resets the workflow's current run to the completion of the workflow task `pick` chooses; the new run's handle. */
export async function resetTo(client: Client, workflowId: string, pick: (events: HistoryEvent[]) => HistoryEvent): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  const { runId } = await handle.describe();
  const reset = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    workflowTaskFinishEventId: pick((await handle.fetchHistory()).events!).eventId,
    reason: 'operator reset (test)',
    requestId: randomUUID(),
  });
  if (!reset.runId || reset.runId === runId) throw new Error(`reset of ${workflowId} started no new run`);
  return client.workflow.getHandle(workflowId, reset.runId);
}
