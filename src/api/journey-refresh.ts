import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { type Logger } from 'pino';
import { REFRESH_FLOOR_MS, refreshJourney, TERMINAL_STATES, type JourneyStateName, type RefreshRequest } from '../workflows/messages';
import { paymentNotified, paymentWorkflowId } from '../workflows/payment-messages';
import { JourneyState } from '../workflows/search-attributes';

// "Check now" for a journey: a driver's browser back from a hosted page, or a backend asking.
// Only hints are sent — the journey and its payment workflow read the upstreams' records — so a
// repeated or forged return changes no money. Repeats within the floor are answered without
// signalling again (the journey keeps the same floor), so a flood of returns costs nothing.

export type RefreshOutcome = 'signalled' | 'coalesced' | 'unknown-journey' | 'ended';

/** The most journeys whose last refresh is remembered (oldest forgotten first). */
const REMEMBERED = 10_000;

export class JourneyRefresher {
  private readonly lastSignalAt = new Map<string, number>();

  constructor(
    private readonly temporal: Client,
    private readonly settings: { deadlineMs: number; logger: Logger },
  ) {}

  /** Asks the journey to look now (for a processor's order still open: its payment workflow reads the processor instead). */
  async refresh(journeyId: string, request: RefreshRequest & { paymentOrderId?: string }): Promise<RefreshOutcome> {
    const now = Date.now();
    const last = this.lastSignalAt.get(journeyId);
    if (last !== undefined && now - last < REFRESH_FLOOR_MS) return 'coalesced';
    this.remember(journeyId, now);
    const { paymentOrderId, ...hint } = request;
    const deadline = Date.now() + this.settings.deadlineMs;
    try {
      // A running payment workflow reports what it reads to its journey: the journey need not wake as well.
      if (paymentOrderId && (await this.wake(paymentOrderId, deadline))) return 'signalled';
      await this.temporal.withDeadline(deadline, () => this.temporal.workflow.getHandle(journeyId).signal(refreshJourney, hint));
      return 'signalled';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const exists = await this.temporal.withDeadline(deadline, () => workflowExists(this.temporal.workflow.getHandle(journeyId)));
      return exists ? 'ended' : 'unknown-journey';
    }
  }

  /** A driver's browser is back: ask, never fail the page (the journey's polling finds the payment anyway). */
  async hint(journeyId: string | undefined, request: RefreshRequest & { paymentOrderId?: string }): Promise<void> {
    if (!journeyId) return;
    try {
      const outcome = await this.refresh(journeyId, request);
      this.settings.logger.info(
        { journeyId, orderId: request.orderId ?? request.paymentOrderId, outcome },
        'driver back from a payment page',
      );
    } catch (err) {
      this.settings.logger.warn({ journeyId, err: (err as Error).message }, 'could not ask the journey to look now');
    }
  }

  /** The payment workflow reads its processor now (true); one that has ended has nothing left to read (false). */
  private async wake(orderId: string, deadline: number): Promise<boolean> {
    return this.temporal
      .withDeadline(deadline, () => this.temporal.workflow.getHandle(paymentWorkflowId(orderId)).signal(paymentNotified))
      .then(
        () => true,
        (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          this.settings.logger.debug({ orderId }, 'return for a payment that has ended');
          return false;
        },
      );
  }

  private remember(journeyId: string, at: number): void {
    this.lastSignalAt.delete(journeyId);
    this.lastSignalAt.set(journeyId, at);
    if (this.lastSignalAt.size > REMEMBERED) this.lastSignalAt.delete(this.lastSignalAt.keys().next().value!);
  }
}

/** Our order ids are `<journey id>.<attempt>`: the journey an order belongs to. */
export function journeyOfOrder(orderId: string): string | undefined {
  const dot = orderId.lastIndexOf('.');
  return dot > 0 && /^\d+$/.test(orderId.slice(dot + 1)) ? orderId.slice(0, dot) : undefined;
}

/** Whether a workflow with this id exists at all (running or ended). */
export function workflowExists(handle: WorkflowHandle): Promise<boolean> {
  return handle.describe().then(
    () => true,
    (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)),
  );
}

/**
 * Whether a journey has ended, for a backend's refresh: its state is terminal from the step that
 * ended it, a moment before its run closes (and a coalesced refresh would not look at all).
 * Describe reads the run's own search attributes, current as soon as a step has answered.
 */
export async function journeyEnded(handle: WorkflowHandle): Promise<RefreshOutcome | undefined> {
  try {
    const run = await handle.describe();
    const state = run.typedSearchAttributes.get(JourneyState) as JourneyStateName | undefined;
    return run.status.name !== 'RUNNING' || (state !== undefined && TERMINAL_STATES.includes(state)) ? 'ended' : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'unknown-journey';
    throw err;
  }
}
