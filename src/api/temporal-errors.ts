import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { OPERATORS } from '../registry/operators';
import { HttpProblem } from './problem';

const BY_FAILURE_TYPE: Record<FailureType, { status: number; title: string }> = {
  [FailureType.WrongState]: { status: 409, title: 'Step not allowed in this state' },
  [FailureType.IdempotencyKeyReused]: { status: 422, title: 'Idempotency-Key reused with a different request' },
  [FailureType.AuthExpired]: { status: 409, title: 'Account must be linked again' },
  [FailureType.AccountNotLinked]: { status: 422, title: 'Account not linked' },
  [FailureType.UpstreamNotFound]: { status: 404, title: 'Not found at the operator' },
  [FailureType.UpstreamRejected]: { status: 422, title: 'Refused by the operator' },
  [FailureType.UpstreamContractViolation]: { status: 502, title: 'Unexpected answer from the operator' },
  [FailureType.UpstreamUnavailable]: { status: 503, title: 'Operator unavailable' },
  [FailureType.TransactionExpired]: { status: 409, title: 'Transaction expired' },
  [FailureType.CurrencyNotAccepted]: { status: 422, title: 'Payment method cannot take this currency' },
  [FailureType.NotPayableHere]: { status: 422, title: 'Not payable through parkflow' },
};

/** The problem a business failure from a workflow or activity stands for. */
export function problemForFailure(failure: ApplicationFailure): HttpProblem {
  const known = BY_FAILURE_TYPE[failure.type as FailureType];
  if (!known) return new HttpProblem(502, 'Journey step failed', failure.message);
  // An upstream that names the field it refused (LinkC's 400) → a field error of ours.
  const field = (failure.details?.[0] as { field?: string } | undefined)?.field;
  return new HttpProblem(
    known.status,
    known.title,
    failure.message,
    field ? [{ field: fieldName(field), message: failure.message }] : undefined,
    toSlug(failure.type!),
  );
}

/** Temporal client errors as problems; undefined for anything else (a bug: let it be a 500). */
export function problemForTemporalError(err: unknown, what = 'journey'): HttpProblem | undefined {
  if (err instanceof WorkflowNotFoundError)
    return new HttpProblem(404, `Unknown ${what}`, `no ${what} with this id`, undefined, `unknown-${what}`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return problemForFailure(err.cause);
  if (err instanceof ApplicationFailure) return problemForFailure(err);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new HttpProblem(409, `The ${what} already exists`);
  const message = err instanceof Error ? err.message : String(err);
  if (/already completed|workflow execution.*(closed|completed)/i.test(message)) {
    return new HttpProblem(409, `The ${what} has ended`, 'a finished journey takes no more steps', undefined, 'journey-ended');
  }
  if (/UNAVAILABLE|ECONNREFUSED|DEADLINE_EXCEEDED|Failed to connect/i.test(message)) {
    return new HttpProblem(503, 'Temporal unavailable', 'the workflow service did not answer; try again');
  }
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
