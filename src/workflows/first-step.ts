import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { type Journey } from './journey';
import { startJourney } from './messages';
import { asHandlerFailure } from './support';

/**
 * Runs a journey's first step. The start update of Update-with-Start answers with its result (or
 * its failure), and refuses the same Idempotency-Key sent with another body. Call it before the
 * workflow's first await, so the update that came with the start finds its handler.
 * A failed first step fails the workflow: the same key may then start the journey again.
 */
export async function firstStep(journey: Journey, requestHash: string, step: () => Promise<void>, resumed = false): Promise<void> {
  // A run continued as new answers a retried start with the journey as it is now.
  let done = resumed;
  let failure: ApplicationFailure | undefined;
  setHandler(
    startJourney,
    async () => {
      await condition(() => done);
      if (failure) throw failure;
      return journey.view;
    },
    {
      validator: (request) => {
        if (request.requestHash !== requestHash) {
          throw ApplicationFailure.nonRetryable(
            'this Idempotency-Key was already used with a different request',
            FailureType.IdempotencyKeyReused,
          );
        }
      },
    },
  );
  if (resumed) return;
  try {
    await step();
  } catch (err) {
    failure = asHandlerFailure(err);
    journey.fail(failure.type ?? FailureType.UpstreamUnavailable, failure.message);
  }
  done = true;
  if (failure) {
    await condition(() => journey.settled);
    throw failure;
  }
}
