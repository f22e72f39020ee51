import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { type Journey } from './journey';
import { hasReached, JOURNEY_STATES, MAX_WAIT_MS, waitForJourney, type WaitRequest } from './messages';

/**
 * A caller waits for the journey to reach a state on the workflow's own condition: no polling, one
 * update per wait. It answers at once when the state is already reached or the journey has ended.
 */
export function handleWaits(journey: Journey): void {
  setHandler(
    waitForJourney,
    async ({ state, timeoutMs }) => {
      const over = () => hasReached(journey.view, state) || !!journey.continuing;
      if (!over()) await condition(over, Math.min(timeoutMs, MAX_WAIT_MS));
      return journey.view;
    },
    { validator: validateWait },
  );
}

function validateWait(request: WaitRequest): void {
  const { state, timeoutMs } = (request ?? {}) as Partial<WaitRequest>;
  if (!JOURNEY_STATES.includes(state!)) {
    throw ApplicationFailure.nonRetryable(`cannot wait for an unknown state: ${String(state).slice(0, 40)}`, FailureType.InvalidRequest);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs! < 1 || timeoutMs! > MAX_WAIT_MS) {
    throw ApplicationFailure.nonRetryable(
      `a wait's timeout is 1 to ${MAX_WAIT_MS} ms, not ${String(timeoutMs)}`,
      FailureType.InvalidRequest,
    );
  }
}
