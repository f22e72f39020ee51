import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type FailureType } from '../domain/failures';

/**
 * Refuses, before anything is sent upstream, a call whose deadline has passed — by the later of
 * our clock and the server's (the attempt's scheduled time): never optimistic. An unparseable
 * deadline counts as passed.
 */
export function refuseIfPast(deadline: string, type: FailureType, message: string): void {
  const now = Math.max(Date.now(), activityInfo().currentAttemptScheduledTimestampMs);
  if (!(now < Date.parse(deadline))) throw ApplicationFailure.nonRetryable(message, type);
}
