import { type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type JourneyView, type WaitRequest, waitForJourney } from '../workflows/messages';
import { isUnknownStep } from './temporal-errors';

/** Says how a GET with waitFor ended: `reached` (the state, or the journey's end) or `timeout`. */
export const WAIT_HEADER = 'Parkflow-Wait';

/** The server's failure for an update whose run closed (or continued as new) before answering it. */
const OUTLIVED_RUN = 'AcceptedUpdateCompletedWorkflow';

/**
 * Waits on the journey's own condition (the waitFor update). Undefined when the run cannot answer
 * it — closed, continued as new under the wait, or on a build that takes no waits (a journey pinned
 * to an older one): the caller then reads the journey as it is.
 */
export async function waitForState(handle: WorkflowHandle, request: WaitRequest): Promise<JourneyView | undefined> {
  try {
    return await handle.executeUpdate(waitForJourney, { args: [request] });
  } catch (err) {
    const outlivedRun =
      err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === OUTLIVED_RUN;
    if (err instanceof WorkflowNotFoundError || outlivedRun || isUnknownStep(err)) return undefined;
    throw err;
  }
}
