import { ApplicationFailure, condition, proxyActivities, setHandler, sleep, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { EctorActivities } from '../activities/ector/activities';
import type { Booking, BookingRequest } from '../activities/ector/booking';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { type ProcessorTerms } from '../domain/payment-methods';
import { firstStep } from './first-step';
import { Journey } from './journey';
import { handleWaits } from './journey-wait';
import { cancelJourney, getJourney, payJourney, refreshJourney, type JourneyView } from './messages';
import { PaymentCollection, type CollectionState } from './payment-collection';
import { paymentChanged } from './payment-messages';
import { applicationFailureOf, asHandlerFailure, continueAsNewWhenLong } from './support';
import { declareVersioning } from './versioning';

// Ector, a prepaid airport booking: quote → create the booking (Ector's 60-minute payment window
// starts) → the driver pays through our own processor by the payment deadline → POST …/pay to
// Ector before its window closes → booked; the stay runs from startAt to endAt → completed.
// The payment deadline is the window counted from our clock before the creation (or Ector's
// created_at, if earlier), minus a margin to tell Ector. Unpaid by then → expired, the link
// closed. Money that lands late, or that Ector does not take, is refunded. Whether Ector took it
// is read from Ector's own record of the booking, never assumed from a lost answer. Cancel: an
// unpaid booking at any time (nothing is kept), a booked one only with cancellation_insurance
// (Ector cancels it, then everything is refunded).

export interface EctorJourneyInput {
  booking: BookingRequest;
  requestHash: string;
  /** Ector's payment window from a booking's creation (seed: 60 minutes). */
  paymentWindowMs?: number;
  polling?: { firstMs: number; maxMs: number };
  processors?: ProcessorTerms;
  /** History events after which a waiting journey continues as new. */
  historyLimit?: number;
  /** Carried over by continue-as-new. */
  resume?: EctorJourneyState;
}

export interface EctorJourneyState {
  view: JourneyView;
  booking?: Booking;
  /** When Ector's window closes, by our clock (ms). */
  windowClosesAt: number;
  collection: CollectionState;
  /** Ector's record says the booking is paid: its total is the money kept. */
  booked: boolean;
}

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
const steps = proxyActivities<EctorActivities>({ startToCloseTimeout: '15s', scheduleToCloseTimeout: '45s', retry });
/** Ector's record of a booking decides what is kept: read until it answers (a rejected key gets fixed). */
const records = proxyActivities<EctorActivities>({
  startToCloseTimeout: '15s',
  retry: { ...retry, maximumInterval: '5m', nonRetryableErrorTypes: [FailureType.UpstreamNotFound] },
});

const DEFAULT_WINDOW_MS = 60 * 60_000;
const DEFAULT_HISTORY_LIMIT = 5_000;
/** Time kept between the driver's payment deadline and Ector's, to mark the booking paid. */
const MAX_MARGIN_MS = 30_000;
/** The shortest wait before telling Ector again after a failure that retrying at once cannot fix. */
const RETRY_FLOOR_MS = 5_000;

// Versioning: PINNED. A journey lives hours or days and ends on the build that started it, so no later
// build replays it (no patched() for new builds); it stays pinned across continue-as-new (see support.ts).
declareVersioning(ectorJourney, 'PINNED');
export async function ectorJourney(input: EctorJourneyInput): Promise<JourneyView> {
  const { workflowId } = workflowInfo();
  const journey = input.resume
    ? Journey.restore(input.resume.view)
    : new Journey(workflowId, 'ector', input.booking.car.plate.toUpperCase(), 'awaiting_payment');
  const state: EctorJourneyState = input.resume ?? {
    view: journey.view,
    windowClosesAt: 0,
    collection: PaymentCollection.empty(),
    booked: false,
  };
  const windowMs = input.paymentWindowMs ?? DEFAULT_WINDOW_MS;
  const marginMs = Math.min(MAX_MARGIN_MS, Math.floor(windowMs / 10));
  const collection = new PaymentCollection(state.collection, {
    journeyId: workflowId,
    description: `Ector booking at ${input.booking.zoneId}`,
    polling: input.polling,
    processors: input.processors,
  });
  /** Cancel requests are answered by the main loop, which does the I/O: asked and answered so far. */
  const cancels = { asked: 0, answered: 0, failure: undefined as ApplicationFailure | undefined };
  let payingEctor = false;

  const totalMinor = () => (state.booking ? toMinorUnits(state.booking.total.value) : 0);
  const paymentDueAt = () => state.windowClosesAt - marginMs;
  const showPayment = () => (journey.view.payment = collection.latest);
  const applyBooking = (booking: Booking) => {
    state.booking = booking;
    journey.view.amount = booking.total;
    journey.setReference(booking.id);
    Object.assign(journey.view.upstream, {
      bookingId: booking.id,
      zoneId: booking.zoneId,
      startAt: booking.startAt,
      endAt: booking.endAt,
      services: booking.services.join(','),
    });
  };
  const endAs = (ending: 'expired' | 'cancelled', why?: { type: string; message: string }) => {
    if (why) journey.view.failure = why;
    journey.moveTo(ending);
  };

  setHandler(getJourney, () => journey.view);
  handleWaits(journey);
  setHandler(paymentChanged, (view) => {
    collection.onChanged(view);
    showPayment();
  });
  // Ector keeps no payment state of its own to look up: checking now is the open attempt reading its processor.
  setHandler(refreshJourney, async () => {
    if (!journey.isTerminal) await collection.nudge();
  });

  setHandler(
    payJourney,
    async ({ method = 'mobilpay' }) => {
      try {
        const owed = () => ({
          value: fromMinorUnits(Math.max(0, totalMinor() - collection.heldMinor)),
          currency: state.booking!.total.currency,
        });
        return await collection.pay(method, owed, () => new Date(paymentDueAt()).toISOString());
      } finally {
        showPayment();
      }
    },
    {
      validator: ({ method = 'mobilpay' }) => {
        journey.require('pay', ['awaiting_payment']);
        if (!state.booking) throw ApplicationFailure.nonRetryable('the booking is being created', FailureType.WrongState);
        if (payingEctor || (!collection.open && collection.heldMinor >= totalMinor()))
          throw ApplicationFailure.nonRetryable('the booking is paid; Ector is being told', FailureType.WrongState);
        if (!collection.open && Date.now() >= paymentDueAt())
          throw ApplicationFailure.nonRetryable("the booking's payment deadline has passed", FailureType.PaymentWindowClosed);
        collection.validate(method, state.booking!.total.currency);
      },
    },
  );

  setHandler(
    cancelJourney,
    async (_request) => {
      const ticket = ++cancels.asked;
      await condition(() => cancels.answered >= ticket || journey.state === 'cancelled');
      if (journey.state !== 'cancelled') throw cancels.failure!;
      return journey.view;
    },
    {
      validator: (_request) => {
        journey.require('cancel', ['awaiting_payment', 'paid']);
        if (!state.booking) throw ApplicationFailure.nonRetryable('the booking is being created', FailureType.WrongState);
        if (payingEctor)
          throw ApplicationFailure.nonRetryable('the booking is being paid at Ector; try again in a few seconds', FailureType.WrongState);
        if (journey.state === 'paid' && !state.booking?.insured) {
          throw ApplicationFailure.nonRetryable(
            'this booking has no cancellation_insurance: Ector cancels only insured bookings',
            FailureType.WrongState,
          );
        }
      },
    },
  );

  // First step: the quote, then the booking, answered to the caller by the start update.
  await firstStep(
    journey,
    input.requestHash,
    async () => {
      const { zoneId, startAt, endAt } = input.booking;
      const quote = await steps.quoteEctorBooking({ zoneId, startAt, endAt, timeZone: input.booking.timeZone });
      if (!quote.available)
        throw ApplicationFailure.nonRetryable(`zone ${zoneId} has no room from ${startAt} to ${endAt}`, FailureType.UpstreamRejected);
      // Ector counts its 60 minutes from its own created_at: ours, taken before the request, is never later.
      const requestedAt = Date.now();
      const booking = await steps.createEctorBooking({ reference: workflowId, booking: input.booking });
      applyBooking(booking);
      state.windowClosesAt = Math.min(requestedAt, Date.parse(booking.createdAt)) + windowMs;
      journey.setDeadline('paymentDueAt', new Date(paymentDueAt()).toISOString());
      // A run reset to before the booking finds it as Ector has it now.
      if (booking.status === 'paid') markBooked(booking);
      else if (booking.status !== 'pending_payment') endAs('expired', closed(`Ector shows the booking ${booking.status}`));
    },
    !!input.resume,
  );

  while (!journey.isTerminal) {
    await continueIfLong();
    if (cancels.asked > cancels.answered) await cancel();
    else if (collection.needsReading) await readPayments();
    else if (journey.state === 'awaiting_payment') await collect();
    else await stay();
  }

  // Whatever ended the journey, keep exactly what Ector booked.
  await collection.supersede();
  await collection.refundDownTo(state.booked ? totalMinor() : 0, state.booked ? 'more than the booking costs' : 'not booked by Ector');
  showPayment();
  journey.setDeadline('paymentDueAt', undefined);
  await condition(() => journey.settled);
  return journey.view;

  /** Until the payment deadline: wait for the driver's payment; once it is held, tell Ector. */
  async function collect(): Promise<void> {
    const news = () => collection.needsReading || cancels.asked > cancels.answered;
    if (collection.heldMinor >= totalMinor() && totalMinor() > 0) return payEctor();
    if (Date.now() < paymentDueAt()) {
      await condition(news, paymentDueAt() - Date.now());
      return;
    }
    // The deadline has come: an attempt still open settles now (its own deadline is the same).
    if (collection.open && Date.now() < state.windowClosesAt) {
      await condition(() => news() || !collection.open, state.windowClosesAt - Date.now());
      if (news()) return;
    }
    await collection.read(true);
    if (collection.heldMinor >= totalMinor()) return payEctor();
    endAs('expired', closed('nothing was paid by the payment deadline'));
  }

  /** Marks the booking paid at Ector before its window closes; Ector's record decides if the answer is lost. */
  async function payEctor(): Promise<void> {
    const bookingId = state.booking!.id;
    await collection.refundDownTo(totalMinor(), 'more than the booking costs');
    payingEctor = true;
    try {
      while (Date.now() < state.windowClosesAt) {
        const pay = proxyActivities<EctorActivities>({
          startToCloseTimeout: '15s',
          scheduleToCloseTimeout: state.windowClosesAt - Date.now(),
          retry,
        });
        try {
          return markBooked(await pay.payEctorBooking({ bookingId, payBy: new Date(state.windowClosesAt).toISOString() }));
        } catch (err) {
          const type = applicationFailureOf(err)?.type;
          if (type === FailureType.PaymentWindowClosed || type === FailureType.UpstreamRejected || type === FailureType.UpstreamNotFound)
            break;
          // No answer until the window closed, or a failure operators must fix (a rejected key): try again while it is open.
          if (Date.now() < state.windowClosesAt) await sleep(Math.min(RETRY_FLOOR_MS, state.windowClosesAt - Date.now()));
        }
      }
    } finally {
      payingEctor = false;
    }
    // Refused, or no answer before the window closed: Ector's record says whether it took the payment.
    const record = await ectorRecord(bookingId);
    if (record?.status === 'paid') return markBooked(record);
    endAs('expired', closed('Ector did not take the payment before its window closed; the payment is refunded'));
  }

  /** Ector's record of the booking; undefined once it is gone (the sandbox's nightly wipe). */
  async function ectorRecord(bookingId: string): Promise<Booking | undefined> {
    try {
      return await records.getEctorBooking({ bookingId });
    } catch (err) {
      if (applicationFailureOf(err)?.type === FailureType.UpstreamNotFound) return undefined;
      throw err;
    }
  }

  function markBooked(booking: Booking): void {
    applyBooking(booking);
    state.booked = true;
    journey.setDeadline('paymentDueAt', undefined);
    journey.moveTo('paid');
  }

  /** Booked: the stay starts at startAt and ends at endAt. */
  async function stay(): Promise<void> {
    const startAt = Date.parse(state.booking!.startAt);
    const endAt = Date.parse(state.booking!.endAt);
    const news = () => collection.needsReading || cancels.asked > cancels.answered;
    const until = journey.state === 'paid' ? startAt : endAt;
    if (Date.now() < until && (await condition(news, until - Date.now()))) return;
    if (Date.now() >= endAt) journey.moveTo('completed');
    else if (Date.now() >= startAt) journey.moveTo('active');
  }

  /** Answers the cancel requests so far: an unpaid booking ends; a booked one is cancelled at Ector first. */
  async function cancel(): Promise<void> {
    const upTo = cancels.asked;
    try {
      if (journey.state === 'paid') await cancelAtEctor();
      else if (journey.state === 'awaiting_payment') endAs('cancelled');
      else
        cancels.failure = ApplicationFailure.nonRetryable(`a journey that is ${journey.state} cannot be cancelled`, FailureType.WrongState);
    } finally {
      cancels.answered = upTo;
    }
  }

  async function cancelAtEctor(): Promise<void> {
    const bookingId = state.booking!.id;
    let refusal: ApplicationFailure | undefined;
    try {
      applyBooking(await steps.cancelEctorBooking({ bookingId }));
    } catch (err) {
      refusal = asHandlerFailure(err);
      // No answer is not a refusal: Ector's record says whether the cancellation went through.
      const record = await ectorRecord(bookingId);
      if (record) applyBooking(record);
    }
    if (state.booking!.status !== 'cancelled') {
      cancels.failure = refusal ?? ApplicationFailure.nonRetryable('Ector did not cancel the booking', FailureType.UpstreamRejected);
      return;
    }
    state.booked = false;
    endAs('cancelled');
  }

  /** Reads what the processors hold; what Ector does not need goes back. */
  async function readPayments(): Promise<void> {
    await collection.read();
    if (journey.state !== 'awaiting_payment') await collection.refundDownTo(state.booked ? totalMinor() : 0, 'not needed by the booking');
    showPayment();
  }

  /** A long wait continues as new before its history grows large. */
  async function continueIfLong(): Promise<void> {
    const drained = () => journey.settled && !collection.needsReading;
    const draining = () => void (journey.continuing = true);
    await continueAsNewWhenLong(input.historyLimit ?? DEFAULT_HISTORY_LIMIT, drained, () => [{ ...input, resume: state }], draining);
  }
}

function closed(message: string): { type: string; message: string } {
  return { type: FailureType.PaymentWindowClosed, message };
}
