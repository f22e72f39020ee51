import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ParkingPlusActivities } from '../activities/parkingplus/activities';
import type { ParkingPlusEnded, ParkingPlusFinalized, ParkingPlusSession } from '../activities/parkingplus/snapshot';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { awaitRelink } from './account-messages';
import { firstStep } from './first-step';
import { Journey } from './journey';
import { handleWaits } from './journey-wait';
import {
  accountRelinked,
  cancelJourney,
  enterJourney,
  exitJourney,
  finalizeJourney,
  getJourney,
  payJourney,
  refreshJourney,
  type JourneyStateName,
  type JourneyView,
} from './messages';
import { applicationFailureOf, asHandlerFailure, backoff, isAuthFailure, waitToLook } from './support';
import { declareVersioning } from './versioning';

// Parking+Plus, pay-per-use with smart keys: open a session (entrance key) → the car enters
// (active) → finalize (pay_url, amount, exit key) → the driver pays on Parking+Plus's page →
// exit with the exit key inside its window (a lapsed window gets a fresh key) → closed.

export interface ParkingPlusJourneyInput {
  accountId: string;
  securedParkingId: number;
  plate?: string;
  requestHash: string;
  /** How often to look at the upstream while waiting (first interval, doubling up to max). */
  polling?: { firstMs: number; maxMs: number };
  /** History events after which a waiting journey continues as new. */
  historyLimit?: number;
  /** Carried over by continue-as-new. */
  resume?: ParkingPlusJourneyState;
}

export interface ParkingPlusJourneyState {
  view: JourneyView;
  session?: ParkingPlusSession;
  /** A credential expired: the journey waits in needs_reauth until the account is linked again. */
  reauthNeeded: boolean;
  relinked: boolean;
  /** Where a journey in needs_reauth goes back to once relinked. */
  resumeIn?: JourneyStateName;
  /** A session found finalized while the journey was not was finalized again (tried once). */
  caughtUp: boolean;
  /** A refresh asked the journey to look now: one flag, however many arrive (cleared by the look). */
  refreshRequested?: boolean;
  /** When the journey's last look while waiting ended (workflow time): a refresh looks no sooner than REFRESH_FLOOR_MS after. */
  lastCheckMs?: number;
}

const retry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
/** Steps a caller waits for over HTTP: bounded, so the caller gets an answer. */
const steps = proxyActivities<ParkingPlusActivities>({ startToCloseTimeout: '15s', scheduleToCloseTimeout: '45s', retry });
/** Background reads: retried until the upstream answers. */
const reads = proxyActivities<ParkingPlusActivities>({ startToCloseTimeout: '15s', retry });

/** A payment order Parking+Plus no longer knows is finalized again (journeys before it kept waiting). */
const ORDER_NOT_FOUND_PATCH = 'parkingplus-order-not-found';

const DEFAULT_POLLING = { firstMs: 10_000, maxMs: 10 * 60_000 };
/** The states that look at the upstream while they wait: a refresh makes them look now. */
const LOOKING_STATES: readonly JourneyStateName[] = ['entering', 'awaiting_payment', 'paid', 'exiting'];
/** An order id as the return route passes it on. */
const ORDER_ID = /^[\w-]{1,64}$/;
const DEFAULT_HISTORY_LIMIT = 5_000;
/** Above what a continued run holds before its first wait: a tiny limit must not chain runs that never wait. */
const MIN_HISTORY_LIMIT = 100;

// Versioning: PINNED. A journey lives hours or days and ends on the build that started it, so no later
// build replays it (no patched() for new builds); it stays pinned across continue-as-new (see support.ts).
declareVersioning(parkingPlusJourney, 'PINNED');
export async function parkingPlusJourney(input: ParkingPlusJourneyInput): Promise<JourneyView> {
  const journeyId = workflowInfo().workflowId;
  const journey = input.resume ? Journey.restore(input.resume.view) : new Journey(journeyId, 'parkingplus', input.plate);
  if (!input.resume) journey.view.upstream.securedParkingId = input.securedParkingId;
  const state: ParkingPlusJourneyState = input.resume ?? { view: journey.view, reauthNeeded: false, relinked: false, caughtUp: false };
  const ids = { accountId: input.accountId, securedParkingId: input.securedParkingId };

  /** A step run for a caller: an expired credential sends the journey to needs_reauth. */
  const step = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (isAuthFailure(err)) state.reauthNeeded = true;
      throw asHandlerFailure(err);
    }
  };
  /**
   * A background read: undefined when it could not be made (the loop tries again later). What
   * Parking+Plus says it does not know (404) is no credential problem: `notFound` handles it.
   */
  const read = async <T>(call: () => Promise<T>, notFound?: () => Promise<void>): Promise<{ value: T } | undefined> => {
    try {
      return { value: await call() };
    } catch (err) {
      if (isAuthFailure(err)) state.reauthNeeded = true;
      else if (notFound && applicationFailureOf(err)?.type === FailureType.UpstreamNotFound && patched(ORDER_NOT_FOUND_PATCH))
        await notFound();
      else log.warn('Parking+Plus read failed; will try again', { journeyId, error: applicationFailureOf(err)?.message ?? String(err) });
      return undefined;
    }
  };

  const applySession = (current: ParkingPlusSession) => {
    state.session = current;
    journey.view.amount = current.amount;
    journey.view.keys = { ...journey.view.keys, [current.key.kind]: current.key };
    // Past entering, the car is in. A session finalized while the journey is entering (a reset run) is caught up below.
    if ((current.state === 'active' || current.state === 'exiting') && journey.state === 'entering') journey.moveTo('active');
  };
  const applyFinalized = (finalized: ParkingPlusFinalized) => {
    applySession(finalized);
    journey.view.payment = {
      // pay_url may name no order: then the driver's return does (refreshJourney), and is kept across finalizing again.
      paymentId: finalized.orderId ?? journey.view.payment?.paymentId ?? '',
      method: 'parkingplus',
      redirectUrl: finalized.payUrl,
      status: journey.view.payment?.status ?? 'pending',
    };
    journey.setDeadline('exitBy', finalized.key.validUntil);
  };
  const finalizeUpstream = async () =>
    applyFinalized(await step(() => steps.finalizeParkingPlusSession({ ...ids, sessionId: state.session!.sessionId })));
  /**
   * The session was finalized while the journey is not (a run an operator reset, to its start or
   * later): finalize again — the upstream answers the same order and pay_url, and a fresh exit key
   * if it lapsed — then the payment is read as usual. Tried once; refused, the journey waits active.
   */
  const catchUpFinalized = async () => {
    journey.moveTo('finalizing');
    const finalized = await read(() => reads.finalizeParkingPlusSession({ ...ids, sessionId: state.session!.sessionId }));
    if (finalized) applyFinalized(finalized.value);
    journey.moveTo(finalized ? 'awaiting_payment' : 'active');
  };
  const exitKeyLapsed = () => {
    const exitKey = journey.view.keys?.exit;
    return !exitKey || Date.parse(exitKey.validUntil) <= Date.now();
  };
  /**
   * Parking+Plus no longer knows the journey's order: finalize again, which answers the session's
   * order (and pay_url) anew. A session it no longer knows or will not finalize ends the journey
   * failed — waiting on would be for ever. Unavailable, the next look tries again.
   */
  const orderNotFound = async () => {
    try {
      applyFinalized(await reads.finalizeParkingPlusSession({ ...ids, sessionId: state.session!.sessionId }));
    } catch (err) {
      const type = applicationFailureOf(err)?.type;
      if (isAuthFailure(err)) state.reauthNeeded = true;
      else if (type === FailureType.UpstreamNotFound || type === FailureType.UpstreamRejected)
        journey.fail(FailureType.UpstreamNotFound, "Parking+Plus no longer knows this journey's payment order or session");
    }
  };
  const markPaid = () => {
    journey.view.payment = { ...journey.view.payment!, status: 'captured', reason: undefined };
    journey.moveTo('paid');
  };
  /**
   * Cancel is allowed while the driver has paid nothing through the journey: entering, active,
   * awaiting payment (Parking+Plus is asked first: a payment it confirmed moves the journey to paid
   * instead) and needs_reauth that interrupted entering or active. Parking+Plus has no call to close
   * a session: an unused entrance key lapses by itself; a car inside leaves through the operator.
   */
  const cancellable = (): JourneyStateName[] => [
    'entering',
    'active',
    'awaiting_payment',
    ...(state.resumeIn === 'entering' || state.resumeIn === 'active' ? (['needs_reauth'] as const) : []),
  ];
  const paidBeforeCancel = async (): Promise<boolean> => {
    const orderId = journey.view.payment!.paymentId;
    if (!orderId) return false; // no order known yet (pay_url named none and the driver has not come back): nothing to ask
    const outcome = await step(() => steps.parkingPlusPaymentStatus({ accountId: input.accountId, orderId })).catch(
      (err: ApplicationFailure) => {
        if (err.type === FailureType.UpstreamNotFound) return 'not found' as const; // an order Parking+Plus does not know was not paid
        throw err;
      },
    );
    if (outcome === 'confirmed' && journey.state === 'awaiting_payment') markPaid();
    return outcome === 'confirmed';
  };

  setHandler(getJourney, () => journey.view);
  handleWaits(journey);
  setHandler(accountRelinked, () => void (state.relinked = true));

  /**
   * Look now instead of at the next poll (the driver came back from the pay page, or a backend asked):
   * the waits below take the flag. A Parking+Plus return names the order (return_url's `id`): the
   * journey's order when pay_url named none; a return naming another order is ignored.
   */
  setHandler(refreshJourney, ({ source, orderId } = { source: 'backend' }) => {
    if (journey.isTerminal) return;
    if (orderId !== undefined) {
      const payment = journey.view.payment;
      if (typeof orderId !== 'string' || !ORDER_ID.test(orderId) || !payment || (payment.paymentId && payment.paymentId !== orderId)) {
        log.warn("Parking+Plus return for an order that is not the journey's; ignored", {
          journeyId,
          source,
          orderId: String(orderId).slice(0, 64),
          journeyOrderId: payment?.paymentId,
        });
        return;
      }
      if (!payment.paymentId) journey.view.payment = { ...payment, paymentId: orderId };
    }
    if (LOOKING_STATES.includes(journey.state)) state.refreshRequested = true;
  });

  setHandler(
    enterJourney,
    async () => {
      const current = await step(() => steps.readParkingPlusSession({ ...ids, sessionId: state.session!.sessionId }));
      if (current) applySession(current);
      return journey.view;
    },
    {
      validator: () => {
        journey.require('enter', ['entering']);
        // Before the first step has the session: sent early, or an original run's enter replayed into a reset run.
        if (!state.session) {
          throw ApplicationFailure.nonRetryable('cannot enter a journey that is still starting; try again', FailureType.WrongState);
        }
      },
    },
  );

  setHandler(
    finalizeJourney,
    async () => {
      journey.moveTo('finalizing');
      try {
        await finalizeUpstream();
      } catch (err) {
        journey.moveTo('active');
        throw err;
      }
      journey.moveTo('awaiting_payment');
      return journey.view;
    },
    { validator: () => journey.require('finalize', ['active']) },
  );

  setHandler(payJourney, (_request) => journey.view.payment!, { validator: (_request) => journey.require('pay', ['awaiting_payment']) });

  setHandler(
    exitJourney,
    async () => {
      if (exitKeyLapsed()) await finalizeUpstream();
      journey.moveTo('exiting');
      return journey.view;
    },
    { validator: () => journey.require('exit', ['paid', 'exiting']) },
  );

  setHandler(
    cancelJourney,
    async (_request) => {
      if (journey.state === 'awaiting_payment' && (await paidBeforeCancel())) {
        throw ApplicationFailure.nonRetryable('cannot cancel a journey that is paid', FailureType.WrongState);
      }
      journey.require('cancel', cancellable()); // the state may have moved on while Parking+Plus answered
      journey.moveTo('cancelled');
      return journey.view;
    },
    { validator: (_request) => journey.require('cancel', cancellable()) },
  );

  /** A reset run of a journey whose session Parking+Plus already closed: paid, and the car left. */
  const applyEnded = (ended: ParkingPlusEnded) => {
    journey.view.amount = ended.amount;
    journey.view.upstream.transaction = ended.transactionId;
    journey.moveTo('completed');
  };

  // First step, answered to the caller by the start update; a run continued as new skips it.
  await firstStep(
    journey,
    input.requestHash,
    async () => {
      // In a run an operator reset, startTime is still the journey's (the run's history begins with
      // the original start event); runId is new.
      const { runId, originalExecutionRunId, startTime } = workflowInfo();
      const resetRun = runId !== originalExecutionRunId;
      const journeyStartedAt = startTime.toISOString();
      const opened = await steps.openParkingPlusSession({ ...ids, journeyStartedAt, ...(resetRun ? { resetRun } : {}) });
      if ('transactionId' in opened) return applyEnded(opened);
      applySession(opened);
      journey.setReference(String(state.session!.sessionId));
    },
    !!input.resume,
  );

  const polling = input.polling ?? DEFAULT_POLLING;
  const historyLimit = Math.max(MIN_HISTORY_LIMIT, input.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  const tooLong = () => {
    const info = workflowInfo();
    return info.historyLength >= historyLimit || info.continueAsNewSuggested;
  };
  /** At a safe point of a wait: no handler running; the continued run goes on waiting where this one was. */
  const continueAsNew = async () => {
    journey.continuing = true;
    await condition(() => journey.settled);
    if (journey.isTerminal) return;
    const { memo, typedSearchAttributes } = workflowInfo();
    await makeContinueAsNewFunc<typeof parkingPlusJourney>({ memo, typedSearchAttributes })({ ...input, resume: state });
  };
  /**
   * Looks at the upstream at each poll (firstMs, doubling up to maxMs) or sooner when a refresh asks,
   * but never sooner than REFRESH_FLOOR_MS after the previous look; refreshes meanwhile make one look.
   */
  const waitFor = async (waiting: JourneyStateName, check: () => Promise<void>) => {
    // A maxMs below firstMs must not shorten the wait under the configured minimum.
    const interval = backoff(polling.firstMs, Math.max(polling.firstMs, polling.maxMs));
    const left = () => journey.state !== waiting || state.reauthNeeded || tooLong();
    while (!left()) {
      if (await waitToLook(left, () => !!state.refreshRequested, interval(), state.lastCheckMs ?? -Infinity)) continue;
      state.refreshRequested = false;
      await check();
      state.lastCheckMs = Date.now(); // the floor counts from the end of the look
    }
  };

  while (!journey.isTerminal) {
    if (tooLong()) {
      await continueAsNew();
      continue;
    }
    if (state.reauthNeeded) {
      // A run continued as new in needs_reauth is already known to the account as waiting.
      if (journey.state !== 'needs_reauth') {
        state.resumeIn = journey.state;
        journey.moveTo('needs_reauth');
        await getExternalWorkflowHandle(input.accountId).signal(awaitRelink, journeyId);
      }
      await condition(() => state.relinked || journey.isTerminal || tooLong());
      if (!state.relinked) continue;
      state.relinked = state.reauthNeeded = false;
      journey.moveTo(state.resumeIn!);
      state.resumeIn = undefined;
      continue;
    }
    if (journey.state === 'active' && state.session?.state === 'exiting' && !journey.view.payment && !state.caughtUp) {
      state.caughtUp = true;
      await catchUpFinalized();
      continue;
    }
    switch (journey.state) {
      case 'entering':
        await waitFor('entering', async () => {
          const current = await read(() => reads.readParkingPlusSession({ ...ids, sessionId: state.session!.sessionId }));
          if (!current) return;
          if (current.value) applySession(current.value);
          else journey.moveTo('expired'); // the entrance was never used and the session is gone
        });
        break;
      case 'awaiting_payment':
        await waitFor('awaiting_payment', async () => {
          const orderId = journey.view.payment!.paymentId;
          if (!orderId) return; // pay_url named no order: the driver's return names it (refreshJourney)
          const outcome = await read(() => reads.parkingPlusPaymentStatus({ accountId: input.accountId, orderId }), orderNotFound);
          if (!outcome || outcome.value === 'pending') return;
          if (outcome.value === 'confirmed') {
            markPaid();
          } else {
            // The driver may try again on the same page; keep watching.
            journey.view.payment = { ...journey.view.payment!, status: 'declined', reason: 'declined by the processor' };
          }
        });
        break;
      case 'paid':
      case 'exiting':
        await waitFor(journey.state, async () => {
          const current = await read(() => reads.readParkingPlusSession({ ...ids, sessionId: state.session!.sessionId }));
          if (current && (!current.value || current.value.state === 'closed')) journey.moveTo('completed');
        });
        break;
      default:
        // active and finalizing move on through updates only: a journey may stay active for days.
        await condition(() => (journey.state !== 'active' && journey.state !== 'finalizing') || state.reauthNeeded || tooLong());
    }
  }

  journey.setDeadline('exitBy', undefined);
  await condition(() => journey.settled);
  return journey.view;
}
