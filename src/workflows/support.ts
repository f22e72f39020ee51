import { ActivityFailure, ApplicationFailure, condition, log, makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { REFRESH_FLOOR_MS } from './messages';

/** A FIFO lock built on a promise chain: deterministic, so safe in workflow code. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** The business failure behind an activity failure (its type and message), if there is one. */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

export function isAuthFailure(err: unknown): boolean {
  const type = applicationFailureOf(err)?.type;
  return type === FailureType.AuthExpired || type === FailureType.AccountNotLinked;
}

/** Rethrows an activity's failure as the handler's own, so callers see the business type. */
export function asHandlerFailure(err: unknown): ApplicationFailure {
  const cause = applicationFailureOf(err);
  if (cause)
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type ?? undefined,
      nonRetryable: true,
      details: cause.details as unknown[],
    });
  log.warn('step failed without a business failure', { error: String(err) });
  return ApplicationFailure.create({
    message: 'the upstream did not answer in time; try again',
    type: FailureType.UpstreamUnavailable,
    nonRetryable: true,
  });
}

/** Poll intervals that start short and back off to a ceiling: cheap history for long waits. */
export function backoff(firstMs: number, maxMs: number): () => number {
  let next = firstMs;
  return () => {
    const current = next;
    next = Math.min(next * 2, maxMs);
    return current;
  };
}

/**
 * A workflow that waits long continues as new (same memo and search attributes) before its
 * history grows large: once it passes `limit` events or the server suggests it, and once
 * `drained` holds (its handlers finished, nothing half-read). `draining` is told before it waits for that.
 * Worker Versioning: a pinned journey's next run stays on its build (no `initialVersioningBehavior`): its
 * `resume` is that build's own state, which a later build need not read, and one journey runs one build.
 */
export async function continueAsNewWhenLong<Args extends unknown[]>(
  limit: number,
  drained: () => boolean,
  args: () => Args,
  draining: () => void = () => undefined,
): Promise<void> {
  const info = workflowInfo();
  if (info.historyLength < limit && !info.continueAsNewSuggested) return;
  draining();
  await condition(drained);
  await makeContinueAsNewFunc<(...a: Args) => Promise<unknown>>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes })(
    ...args(),
  );
}

/**
 * Waits up to `ms` before a journey's next look upstream: true if `interrupted` (look nothing up),
 * false to look now — at the end of the wait, or on a refresh once REFRESH_FLOOR_MS has passed since
 * `lastLookAt`. Without a refresh, one timer, as a plain poll.
 */
export async function waitToLook(
  interrupted: () => boolean,
  refreshRequested: () => boolean,
  ms: number,
  lastLookAt: number,
): Promise<boolean> {
  if (!(await condition(() => interrupted() || refreshRequested(), ms))) return false;
  if (interrupted()) return true;
  const floor = lastLookAt + REFRESH_FLOOR_MS - Date.now();
  return floor > 0 && (await condition(interrupted, floor));
}
