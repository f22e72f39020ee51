import { type Client } from '@temporalio/client';
import { HttpProblem } from './problem';
import { problemForTemporalError } from './temporal-errors';

/**
 * Every call the API makes to Temporal has a deadline, and its errors become problems: a client
 * waits at most that long and gets a 503 with Retry-After instead of hanging or a 500.
 */
export class TemporalCalls {
  constructor(
    private readonly temporal: Client,
    private readonly deadlines: { readMs: number; stepMs: number },
  ) {}

  /** Queries, descriptions, lists: quick answers. */
  read<T>(fn: () => Promise<T>, what = 'journey'): Promise<T> {
    return this.call(this.deadlines.readMs, fn, what);
  }

  /** Updates: a step may wait on an operator's or a processor's answer. */
  step<T>(fn: () => Promise<T>, what = 'journey'): Promise<T> {
    return this.call(this.deadlines.stepMs, fn, what);
  }

  /** A long poll: up to `waitMs` on the workflow's own condition, then a read's deadline for the answer to come back. */
  wait<T>(waitMs: number, fn: () => Promise<T>, what = 'journey'): Promise<T> {
    return this.call(waitMs + this.deadlines.readMs, fn, what);
  }

  private async call<T>(ms: number, fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await this.temporal.withDeadline(Date.now() + ms, fn);
    } catch (err) {
      throw problemForTemporalError(err, what) ?? err;
    }
  }
}

export function isProblem(err: unknown, status: number): err is HttpProblem {
  return err instanceof HttpProblem && err.status === status;
}
