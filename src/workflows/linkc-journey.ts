import { ApplicationFailure, condition, patched, proxyActivities, setHandler, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { LinkcActivities } from '../activities/linkc/activities';
import type { Stay, StayLookup } from '../activities/linkc/client';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { type ProcessorTerms } from '../domain/payment-methods';
import { firstStep } from './first-step';
import { Journey } from './journey';
import { handleWaits } from './journey-wait';
import { cancelJourney, exitJourney, getJourney, payJourney, REFRESH_FLOOR_MS, refreshJourney, type JourneyView } from './messages';
import { PaymentCollection, type CollectionState } from './payment-collection';
import { paymentChanged } from './payment-messages';
import { applicationFailureOf, asHandlerFailure, backoff, continueAsNewWhenLong, waitToLook } from './support';
import { declareVersioning } from './versioning';

// LinkC, pay at exit: look the stay up → nothing due: leave by validade_datahora; something due:
// collect it through our own processor (MobilPay or EPX) → register it with LinkC with its
// transaction id before the id expires. If it expires first: look the stay up again (new id,
// maybe a new amount) → collect the difference or refund an excess → register. An expired id is
// never submitted. What LinkC booked for us is known from its own answers (a used id is ours)
// or, for an unanswered registration, from the stay's valor_pago; what we hold, from the
// processors' records. Money kept always ends equal to money LinkC booked.
// After a payment the garage gives an exit tolerance (validade_datahora): an amount LinkC shows
// before the exit-by it gave is not asked for (the journey stays paid) until that time has passed.
// A refresh signal makes the journey look the stay up now rather than at its next poll (never
// sooner than REFRESH_FLOOR_MS after its previous look-up); polling stays the backstop.

export interface LinkcJourneyInput {
  lookup: StayLookup;
  requestHash: string;
  polling?: { firstMs: number; maxMs: number };
  /** The currencies each processor takes (a pay with one that cannot take BRL is refused). */
  processors?: ProcessorTerms;
  /** History events after which a waiting journey continues as new. */
  historyLimit?: number;
  /** Carried over by continue-as-new. */
  resume?: LinkcJourneyState;
}

export interface LinkcJourneyState {
  view: JourneyView;
  stay?: Stay;
  collection: CollectionState;
  /** Money LinkC booked from our registrations, in minor units. */
  bookedMinor: number;
  /** valor_pago at the journey's first look-up, and when that was: what LinkC holds beyond it came from us or the kiosk. */
  paidAtStartMinor: number;
  firstLookUpAt?: number;
  /** LinkC refused our last registration (and nothing was booked since): what we hold is not booked. */
  refused?: boolean;
  /** A registration whose answer never came, settled by the next look-up's valor_pago. */
  unanswered?: { amountMinor: number; paidBeforeMinor: number };
  /** The exit-by of the last look-up that found nothing due (ms): the car may leave until then. */
  exitAllowedUntil?: number;
  /** A refresh arrived since the last look-up: the waits end, the stay is looked up (after the floor). */
  refreshRequested?: boolean;
}

const retry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
const steps = proxyActivities<LinkcActivities>({ startToCloseTimeout: '15s', scheduleToCloseTimeout: '45s', retry });
const reads = proxyActivities<LinkcActivities>({ startToCloseTimeout: '15s', retry });

const DEFAULT_POLLING = { firstMs: 10_000, maxMs: 10 * 60_000 };
const DEFAULT_HISTORY_LIMIT = 5_000;
/** Our payment must be captured this long before the transaction id expires, to register in time. */
const REGISTRATION_MARGIN_FRACTION = 0.2;
const MAX_REGISTRATION_MARGIN_MS = 60_000;
/** Paid, an amount LinkC shows before the exit-by it gave is not asked for (it moved the journey back before). */
const EXIT_TOLERANCE_PATCH = 'linkc-exit-tolerance';
/** A refresh while a payment is open no longer looks the stay up (which replaced the quote the driver was paying). */
const QUOTE_HOLDS_PATCH = 'linkc-quote-holds-while-paying';
/** After LinkC accepted a registration, the stay is looked up at once (before, only after the refresh floor or the poll). */
const CONFIRM_AT_ONCE_PATCH = 'linkc-confirms-registration-at-once';

// Versioning: PINNED. A journey lives hours or days and ends on the build that started it, so no later
// build replays it (no patched() for new builds); it stays pinned across continue-as-new (see support.ts).
declareVersioning(linkcJourney, 'PINNED');
export async function linkcJourney(input: LinkcJourneyInput): Promise<JourneyView> {
  const { workflowId } = workflowInfo();
  // The car is already in the yard when a LinkC journey starts.
  const journey = input.resume
    ? Journey.restore(input.resume.view)
    : new Journey(workflowId, 'linkc', input.lookup.placa?.toUpperCase(), 'active');
  const state: LinkcJourneyState = input.resume ?? {
    view: journey.view,
    collection: PaymentCollection.empty(),
    bookedMinor: 0,
    paidAtStartMinor: 0,
  };
  const polling = input.polling ?? DEFAULT_POLLING;
  const collection = new PaymentCollection(state.collection, {
    journeyId: workflowId,
    description: `LinkC stay ${input.lookup.localizador ?? input.lookup.placa}`,
    polling,
    processors: input.processors,
  });

  const dueMinor = () => (state.stay ? toMinorUnits(state.stay.due.value) : 0);
  const validUntil = () => (state.stay?.transaction ? Date.parse(state.stay.transaction.validUntil) : 0);
  /** Money we hold that LinkC has not booked for us (yet). */
  const unbookedMinor = () => collection.heldMinor - state.bookedMinor;
  const owedMinor = () => Math.max(0, dueMinor() - unbookedMinor());
  const showPayment = () => (journey.view.payment = collection.latest);
  /**
   * Paid, and LinkC shows an amount before the exit-by it gave when nothing was due (the garage's
   * exit tolerance after a payment): not asked for until then. (A patch: such a look-up moved the
   * journey back to awaiting_payment before.)
   */
  const withinExitTolerance = (stay: Stay) =>
    stay.payableHere &&
    toMinorUnits(stay.due.value) > 0 &&
    (journey.state === 'paid' || journey.state === 'exiting') &&
    Date.now() < (state.exitAllowedUntil ?? 0) &&
    patched(EXIT_TOLERANCE_PATCH);
  /** Something to pay now: due, and not within the exit tolerance. */
  const overstayed = () => dueMinor() > 0 && !withinExitTolerance(state.stay!);
  const applyStay = (next: Stay) => {
    const tolerated = withinExitTolerance(next);
    state.stay = next;
    if (next.payableHere && toMinorUnits(next.due.value) === 0) state.exitAllowedUntil = Date.parse(next.exitBy);
    journey.view.amount = !next.payableHere ? undefined : tolerated ? { ...next.due, value: '0.00' } : next.due;
    journey.view.upstream.localizador = next.localizador;
    journey.setReference(next.localizador);
    journey.setDeadline('transactionValidUntil', tolerated ? undefined : next.transaction?.validUntil);
    journey.setDeadline('exitBy', tolerated ? new Date(state.exitAllowedUntil!).toISOString() : next.exitBy);
    if (next.placa && !journey.view.plate) journey.view.plate = next.placa;
  };
  /** Paying here is impossible (an OSA partner's stay): exit is allowed until exitBy, or it is paid at the garage. */
  const exitAllowedOrFail = (stay: Stay) => {
    if (stay.payableHere || Date.parse(stay.exitBy) > Date.now()) return true;
    const message = "this stay is paid at the garage: an OSA partner's stay cannot be paid through LinkC's API";
    if (journey.state === 'active') throw ApplicationFailure.nonRetryable(message, FailureType.NotPayableHere);
    journey.fail(FailureType.NotPayableHere, message);
    return false;
  };

  setHandler(getJourney, () => journey.view);
  handleWaits(journey);
  // A hint: many refreshes before the next look-up are one look-up; an ended journey looks no more.
  // The open payment (if any) reads its processor now too.
  setHandler(refreshJourney, async () => {
    if (journey.isTerminal) return;
    state.refreshRequested = true;
    await collection.nudge();
  });
  setHandler(paymentChanged, (view) => {
    collection.onChanged(view);
    showPayment();
  });

  /** Our payment must be captured by then, so the registration lands before the id expires. */
  const paymentDueAt = () =>
    validUntil() - Math.min(MAX_REGISTRATION_MARGIN_MS, (validUntil() - Date.now()) * REGISTRATION_MARGIN_FRACTION);

  setHandler(
    payJourney,
    async ({ method = 'mobilpay' }) => {
      try {
        const dueAt = () => new Date(paymentDueAt()).toISOString();
        return await collection.pay(method, () => ({ value: fromMinorUnits(owedMinor()), currency: state.stay!.due.currency }), dueAt);
      } finally {
        showPayment();
      }
    },
    {
      validator: ({ method = 'mobilpay' }) => {
        journey.require('pay', ['awaiting_payment']);
        if (owedMinor() === 0 && !collection.open)
          throw ApplicationFailure.nonRetryable('the amount due is already paid; it is being registered', FailureType.WrongState);
        // A new attempt would be due before it opens: charged, then refunded. The stay is looked up again first.
        if (!collection.open && paymentDueAt() <= Date.now()) {
          throw ApplicationFailure.nonRetryable(
            "the stay's transaction has lapsed and is being looked up again; try again in a few seconds",
            FailureType.WrongState,
          );
        }
        collection.validate(method, state.stay!.due.currency);
      },
    },
  );

  setHandler(
    exitJourney,
    async () => {
      const next = await lookUp();
      if (next && overstayed())
        journey.moveTo('awaiting_payment'); // overstayed: pay the difference first
      else if (next && exitAllowedOrFail(next)) journey.moveTo('exiting');
      return journey.view;
    },
    { validator: () => journey.require('exit', ['paid', 'exiting']) },
  );

  setHandler(
    cancelJourney,
    (_request) => {
      journey.moveTo('cancelled');
      return journey.view;
    },
    {
      validator: (_request) => {
        // Only while the driver can still be charged nothing: no attempt open, no money held or booked.
        journey.require('cancel', ['awaiting_payment']);
        if (collection.open || collection.heldMinor > 0 || state.bookedMinor > 0)
          throw ApplicationFailure.nonRetryable(
            'a payment is under way or made: the journey ends when the car leaves',
            FailureType.WrongState,
          );
      },
    },
  );

  /** Looks the stay up again (new transaction id, maybe a new amount); undefined once the car left. */
  async function lookUp(): Promise<Stay | undefined> {
    state.refreshRequested = false;
    try {
      const next = await reads.lookupLinkcStay(input.lookup);
      applyStay(next);
      settleUnanswered(next);
      settleInherited();
      lookedUpAt = Date.now();
      return next;
    } catch (err) {
      if (applicationFailureOf(err)?.type !== FailureType.UpstreamNotFound) throw asHandlerFailure(err);
      // The car left: the garage had the stay paid. A registration still unanswered then went through.
      if (state.unanswered) Object.assign(state, { bookedMinor: state.bookedMinor + state.unanswered.amountMinor, unanswered: undefined });
      return undefined;
    }
  }

  /** An unanswered registration went through if valor_pago grew by its amount since. */
  function settleUnanswered(stay: Stay): void {
    const pending = state.unanswered;
    if (!pending || !stay.payableHere) return;
    if (toMinorUnits(stay.paid.value) >= pending.paidBeforeMinor + pending.amountMinor) state.bookedMinor += pending.amountMinor;
    state.unanswered = undefined;
  }

  /**
   * Money we hold that LinkC may have booked without our knowing — a registration whose answer a
   * reset cut from history, an attempt an earlier run paid — is booked if LinkC's valor_pago holds
   * all of it beyond what we know we registered (valor_pago at the first look-up counts as someone
   * else's, except what we had captured by then). Not after LinkC refused our registration: then
   * only money this run did not see move is in doubt.
   */
  function settleInherited(): void {
    const unvouched = state.refused ? collection.inheritedMinor : unbookedMinor();
    if (unvouched <= 0 || !state.stay?.payableHere) return;
    const before = Math.max(0, state.paidAtStartMinor - collection.heldBefore(state.firstLookUpAt ?? 0));
    if (toMinorUnits(state.stay.paid.value) - before - state.bookedMinor < unvouched) return;
    state.bookedMinor += unvouched;
    collection.acceptInherited();
  }

  /** Reads what the processors hold; in a settled journey, what LinkC did not book goes back. */
  async function readPayments(): Promise<void> {
    await collection.read();
    settleInherited();
    if (journey.state !== 'awaiting_payment' && unbookedMinor() > 0)
      await collection.refundDownTo(state.bookedMinor, 'not booked by the garage');
    showPayment();
  }

  // First step: the stay, answered to the caller by the start update.
  await firstStep(
    journey,
    input.requestHash,
    async () => {
      const stay = await steps.lookupLinkcStay(input.lookup);
      applyStay(stay);
      state.paidAtStartMinor = toMinorUnits(stay.paid.value);
      state.firstLookUpAt = Date.now();
      if (exitAllowedOrFail(stay)) journey.moveTo(dueMinor() > 0 ? 'awaiting_payment' : 'paid');
    },
    !!input.resume,
  );

  const registrationRetry = backoff(polling.firstMs, polling.maxMs);
  let lookedUpAt = Date.now();
  while (!journey.isTerminal) {
    await continueIfLong();
    if (collection.needsReading) await readPayments();
    if (journey.state === 'awaiting_payment') await collect();
    else if (journey.state === 'paid' || journey.state === 'exiting') await watchExit();
  }

  // Whatever ended the journey, keep exactly what LinkC booked.
  await collection.supersede();
  await collection.refundDownTo(state.bookedMinor, 'not booked by the garage');
  showPayment();
  journey.setDeadline('transactionValidUntil', undefined);
  journey.setDeadline('exitBy', undefined);
  await condition(() => journey.settled);
  return journey.view;

  /** Awaiting payment: register once enough is held; look the stay up again when the id lapses. */
  async function collect(): Promise<void> {
    const ready = () => !!state.stay?.transaction && dueMinor() > 0 && unbookedMinor() >= dueMinor();
    const lapsesIn = state.stay?.transaction ? validUntil() - Date.now() : polling.firstMs;
    if (lapsesIn > 0 && !ready()) {
      // While the driver pays what this id quoted, a refresh reads that payment (nudged) and leaves the quote alone:
      // looking the stay up again would replace it, and a new amount would charge the driver twice.
      const quoteHolds = patched(QUOTE_HOLDS_PATCH);
      const paying = () => quoteHolds && !!collection.open && validUntil() > Date.now();
      await condition(
        () => journey.state !== 'awaiting_payment' || collection.needsReading || (!!state.refreshRequested && !paying()),
        lapsesIn,
      );
      if (journey.state !== 'awaiting_payment' || collection.needsReading) return;
    }
    if (ready() && validUntil() > Date.now()) {
      await collection.refundDownTo(state.bookedMinor + dueMinor(), 'more than the garage asks');
      const outcome = await register();
      if (outcome === 'registered' && patched(CONFIRM_AT_ONCE_PATCH)) {
        // One look-up, of our own making: it confirms what LinkC booked and gives the exit-by (the car's tolerance).
        await lookUpAgain();
        return;
      }
      if (outcome === 'retry') {
        // LinkC did not answer: try again shortly, never past the id's expiry.
        await condition(
          () => journey.state !== 'awaiting_payment' || collection.needsReading,
          Math.max(1_000, Math.min(registrationRetry(), validUntil() - Date.now())),
        );
        return;
      }
    }
    // The id lapsed, was refused or used: never submit it again; look the stay up again (not too often).
    // A refresh asks for it sooner: after the floor only.
    const sinceLookUp = Date.now() - lookedUpAt;
    const gap = state.refreshRequested ? REFRESH_FLOOR_MS : polling.firstMs;
    if (sinceLookUp < gap && (await waitToLookUp('awaiting_payment', gap - sinceLookUp))) return;
    await lookUpAgain();
  }

  /** Looks the stay up: the car has left, nothing is due (paid), or the rest of what LinkC asks is collected. */
  async function lookUpAgain(): Promise<void> {
    const next = await lookUp();
    if (!next) journey.moveTo('completed');
    else if (dueMinor() === 0) journey.moveTo('paid');
    else await collection.refundDownTo(state.bookedMinor + dueMinor(), 'more than the garage asks');
  }

  /** Registers what is held with the current transaction id, bounded by its expiry. */
  async function register(): Promise<'registered' | 'refused' | 'retry'> {
    const stay = state.stay!;
    const amountMinor = dueMinor();
    state.unanswered = { amountMinor, paidBeforeMinor: toMinorUnits(stay.paid.value) };
    const registration = proxyActivities<LinkcActivities>({
      startToCloseTimeout: '15s',
      scheduleToCloseTimeout: Math.max(1, validUntil() - Date.now()),
      retry,
    });
    try {
      await registration.registerLinkcPayment({ transaction: stay.transaction! });
    } catch (err) {
      const type = applicationFailureOf(err)?.type;
      if (type === FailureType.UpstreamRejected) {
        // LinkC's refusal is an answer: nothing was booked with this id.
        Object.assign(state, { unanswered: undefined, refused: true });
        return 'refused';
      }
      // No answer (or the id expired before a retry: an earlier try may have gone through). Within
      // the window the same id is submitted again; after it, valor_pago tells.
      return type !== FailureType.TransactionExpired && validUntil() > Date.now() ? 'retry' : 'refused';
    }
    Object.assign(state, { unanswered: undefined, refused: false });
    state.bookedMinor += amountMinor;
    // Until the next look-up, the stay is as LinkC now has it: paid, nothing due, its id used.
    const paid = { ...stay.paid, value: fromMinorUnits(toMinorUnits(stay.paid.value) + amountMinor) };
    state.stay = { ...stay, paid, due: { ...stay.due, value: '0.00' }, transaction: undefined };
    return 'registered';
  }

  /** Paid: the car leaves by exitBy; an overstay means a new amount due. */
  async function watchExit(): Promise<void> {
    const watching = journey.state;
    const interval = backoff(polling.firstMs, polling.maxMs);
    while (journey.state === watching && !journey.isTerminal) {
      const untilExitBy = Date.parse(journey.view.deadlines.exitBy ?? '') - Date.now() + 1_000;
      const wait = Math.max(polling.firstMs, untilExitBy > 0 ? Math.min(interval(), untilExitBy) : interval());
      if (await waitToLookUp(watching, wait)) return;
      const next = await lookUp();
      if (!next) journey.moveTo('completed');
      else if (overstayed()) journey.moveTo('awaiting_payment');
      else if (dueMinor() === 0) exitAllowedOrFail(next);
      await continueIfLong();
    }
  }

  /** Waits before the next look-up (see waitToLook): true if the journey left `watching` or has payments to read. */
  function waitToLookUp(watching: JourneyView['state'], ms: number): Promise<boolean> {
    return waitToLook(
      () => journey.state !== watching || collection.needsReading,
      () => !!state.refreshRequested,
      ms,
      lookedUpAt,
    );
  }

  /** A long wait continues as new before its history grows large. */
  async function continueIfLong(): Promise<void> {
    const drained = () => journey.settled && !collection.needsReading;
    const draining = () => void (journey.continuing = true);
    await continueAsNewWhenLong(input.historyLimit ?? DEFAULT_HISTORY_LIMIT, drained, () => [{ ...input, resume: state }], draining);
  }
}
