import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isUnknownStep, problemForTemporalError } from '../src/api/temporal-errors';

// What the API answers for each way Temporal can fail a call: a client needs 503 + Retry-After
// for "not now", never a 500.

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code, details: message, metadata: {} });

describe('Temporal errors as problems', () => {
  test.each([
    ['a workflow task failing after a worker crash', new ServiceError('Workflow Task in failed state', { cause: grpc(9, '9 FAILED_PRECONDITION: Workflow Task in failed state') })],
    ['Temporal unreachable', new ServiceError('Failed to query Workflow', { cause: grpc(14, '14 UNAVAILABLE: No connection established') })],
    ['the deadline passed (no worker answered a query)', grpc(4, '4 DEADLINE_EXCEEDED: Deadline exceeded')],
    ['overloaded', new ServiceError('Failed to signal', { cause: grpc(8, '8 RESOURCE_EXHAUSTED: namespace rate limit') })],
    ['an update nobody took before the deadline', new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpc(4, 'deadline') })],
    ['any other service error', new ServiceError('Failed to describe', { cause: grpc(13, '13 INTERNAL: boom') })],
  ])('%s → 503 with Retry-After', (_name, err) => {
    const problem = problemForTemporalError(err);
    expect(problem).toMatchObject({ status: 503, retryAfterSeconds: 2, slug: 'temporarily-unavailable' });
  });

  test('an unknown workflow → 404; a refused step → its status; a bug stays a bug', () => {
    expect(problemForTemporalError(new WorkflowNotFoundError('no', 'journey-x', undefined))).toMatchObject({ status: 404 });
    const refused = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('cannot pay', 'WrongState'));
    expect(problemForTemporalError(refused)).toMatchObject({ status: 409, slug: 'wrong-state' });
    const lapsed = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('down', 'UpstreamUnavailable'));
    expect(problemForTemporalError(lapsed)).toMatchObject({ status: 503, retryAfterSeconds: 2 });
    expect(problemForTemporalError(new TypeError('x is undefined'))).toBeUndefined();
  });

  test('an update the workflow has no handler for is a step the operator does not take', () => {
    const unknown = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('No registered handler for update: enter'));
    expect(isUnknownStep(unknown)).toBe(true);
    expect(isUnknownStep(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('cannot enter', 'WrongState')))).toBe(false);
  });
});
