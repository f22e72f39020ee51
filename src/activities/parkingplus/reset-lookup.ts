import { type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { type temporal as proto } from '@temporalio/proto';
import { JourneyReference } from '../../workflows/search-attributes';

/** Runs looked at, back through earlier resets. */
const MAX_RUNS = 5;

/**
 * The Parking+Plus session a journey recorded before an operator reset it: the last reference
 * (JourneyReference, the session id) set by the run it was reset from, or by that run's own base
 * run when it set none. Temporal keeps a reset run's base run, and search attributes are never
 * encrypted, so this reads only what the journey itself wrote.
 */
export async function sessionBeforeReset(temporal: Client, execution: { workflowId: string; runId: string }): Promise<number | undefined> {
  let runId: string | undefined = execution.runId;
  for (let runs = 0; runId && runs < MAX_RUNS; runs++) {
    const events: proto.api.history.v1.IHistoryEvent[] =
      (await temporal.workflow.getHandle(execution.workflowId, runId).fetchHistory()).events ?? [];
    const references = events
      .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[JourneyReference.name])
      .filter((p) => !!p);
    const last = references.at(-1);
    if (last) {
      const value = defaultPayloadConverter.fromPayload<unknown>(last);
      const sessionId = Number(Array.isArray(value) ? value[0] : value);
      return Number.isSafeInteger(sessionId) ? sessionId : undefined;
    }
    runId = events.find((e) => e.workflowTaskFailedEventAttributes?.baseRunId)?.workflowTaskFailedEventAttributes?.baseRunId ?? undefined;
  }
  return undefined;
}
