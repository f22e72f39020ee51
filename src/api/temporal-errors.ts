import {
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { OPERATORS } from '../registry/operators';
import { HttpProblem } from './problem';

const BY_FAILURE_TYPE: Record<FailureType, { status: number; title: string }> = {
  [FailureType.InvalidRequest]: { status: 400, title: 'Invalid request' },
  [FailureType.WrongState]: { status: 409, title: 'Step not allowed in this state' },
  [FailureType.IdempotencyKeyReused]: { status: 422, title: 'Idempotency-Key reused with a different request' },
  [FailureType.AuthExpired]: { status: 409, title: 'Account must be linked again' },
  [FailureType.AccountNotLinked]: { status: 422, title: 'Account not linked' },
  [FailureType.UpstreamNotFound]: { status: 404, title: 'Not found at the operator' },
  [FailureType.UpstreamRejected]: { status: 422, title: 'Refused by the operator' },
  [FailureType.UpstreamContractViolation]: { status: 503, title: 'Unexpected answer from the operator' },
  [FailureType.UpstreamUnavailable]: { status: 503, title: 'Operator unavailable' },
  [FailureType.TransactionExpired]: { status: 409, title: 'Transaction expired' },
  [FailureType.CurrencyNotAccepted]: { status: 422, title: 'Payment method cannot take this currency' },
  [FailureType.NotPayableHere]: { status: 422, title: 'Not payable through parkflow' },
  [FailureType.PaymentWindowClosed]: { status: 409, title: 'Payment window closed' },
  [FailureType.CredentialRejected]: { status: 503, title: "Operator refused parkflow's credential" },
  [FailureType.SubscriberUnavailable]: { status: 503, title: 'Subscriber unavailable' },
  [FailureType.SubscriptionInactive]: { status: 404, title: 'Unknown subscription' },
  [FailureType.SubscriberTargetRefused]: { status: 422, title: 'Subscriber URL refused' },
};

/** How long a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** The problem a business failure from a workflow or activity stands for. */
export function problemForFailure(failure: ApplicationFailure): HttpProblem {
  const known = BY_FAILURE_TYPE[failure.type as FailureType];
  if (!known) return new HttpProblem(503, 'Journey step failed', failure.message, undefined, 'step-failed', RETRY_AFTER_SECONDS);
  // An upstream that names the field it refused (LinkC's 400) → a field error of ours.
  const field = (failure.details?.[0] as { field?: string } | undefined)?.field;
  return new HttpProblem(
    known.status,
    known.title,
    failure.message,
    field ? [{ field: fieldName(field), message: failure.message }] : undefined,
    toSlug(failure.type!),
    known.status === 503 ? RETRY_AFTER_SECONDS : undefined,
  );
}

function temporalUnavailable(): HttpProblem {
  const detail = 'the workflow service did not answer in time; try again';
  return new HttpProblem(503, 'Temporarily unavailable', detail, undefined, 'temporarily-unavailable', RETRY_AFTER_SECONDS);
}

/** An update the journey's workflow has no handler for: a step its operator does not take. */
export function isUnknownStep(err: unknown): boolean {
  return (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    /^No registered handler for update/.test(err.cause.message)
  );
}

// gRPC codes that mean "not now": CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE.
const TRANSIENT_GRPC_CODES = new Set([1, 4, 8, 10, 14]);

/**
 * Temporal could not answer now: unreachable, overloaded, out of time, or the workflow's task is
 * failing (a worker crashed mid-task, or none is running). The client's retry will be answered.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && TRANSIENT_GRPC_CODES.has(e.code)) return true;
    if (/Workflow Task in failed state|ECONNREFUSED|Failed to connect|deadline exceeded/i.test(e.message)) return true;
  }
  return err instanceof ServiceError;
}

/** Temporal client errors as problems; undefined for anything else (a bug: let it be a 500). */
export function problemForTemporalError(err: unknown, what = 'journey'): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof WorkflowNotFoundError)
    return new HttpProblem(404, `Unknown ${what}`, `no ${what} with this id`, undefined, `unknown-${what}`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return problemForFailure(err.cause);
  if (err instanceof ApplicationFailure) return problemForFailure(err);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new HttpProblem(409, `The ${what} already exists`);
  if (isTemporalUnavailable(err)) return temporalUnavailable();
  return undefined;
}

/** Every operator's names of refused fields → ours. */
const FIELD_NAMES: Record<string, string> = Object.assign({}, ...OPERATORS.map((row) => row.fieldNames));
function fieldName(upstreamField: string): string {
  return FIELD_NAMES[upstreamField] ?? upstreamField;
}

function toSlug(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}
