import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { LinkcActivities } from '../activities/linkc/activities';
import type { Stay, StayLookup } from '../activities/linkc/client';
import type { PaymentActivities } from '../activities/payments';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { firstStep } from './first-step';
import { Journey } from './journey';
import { cancelJourney, exitJourney, getJourney, payJourney, type JourneyStateName, type JourneyView, type PaymentView } from './messages';
import { payment } from './payment';
import { paymentChanged, paymentOrderId, paymentWorkflowId } from './payment-messages';
import { applicationFailureOf, asHandlerFailure, backoff } from './support';

// LinkC, pay at exit: look the stay up → nothing due: leave by validade_datahora; something due:
// charge the driver through our own payment (MobilPay or EPX) → register the payment with LinkC
// with its transaction id before the id expires. If it expires first: look the stay up again
// (new id, maybe a new amount) → charge the difference or refund an excess → register. An
// expired transaction id is never submitted.

export interface LinkcJourneyInput {
  lookup: StayLookup;
  requestHash: string;
  polling?: { firstMs: number; maxMs: number };
}

const retry: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES };
const steps = proxyActivities<LinkcActivities>({ startToCloseTimeout: '15s', scheduleToCloseTimeout: '45s', retry });
const reads = proxyActivities<LinkcActivities>({ startToCloseTimeout: '15s', retry });
const { refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', retry });

const DEFAULT_POLLING = { firstMs: 10_000, maxMs: 10 * 60_000 };
/** Our payment must be captured this long before the transaction id expires, to register in time. */
const REGISTRATION_MARGIN_FRACTION = 0.2;
const MAX_REGISTRATION_MARGIN_MS = 60_000;

export async function linkcJourney(input: LinkcJourneyInput): Promise<JourneyView> {
  // The car is already in the yard when a LinkC journey starts.
  const journey = new Journey(workflowInfo().workflowId, 'linkc', input.lookup.placa?.toUpperCase(), 'active');
  const polling = input.polling ?? DEFAULT_POLLING;
  let stay: Stay | undefined;
  /** Money captured for the current amount due and not yet registered with LinkC. */
  let collectedMinor = 0;
  const captured: PaymentView[] = [];
  /** Per payment attempt, how much of its capture went back as an excess. */
  const refundedMinor = new Map<string, number>();
  let attempts = 0;
  let current: PaymentView | undefined;

  const dueMinor = () => (stay ? toMinorUnits(stay.due.value) : 0);
  const validUntil = () => (stay?.transaction ? Date.parse(stay.transaction.validUntil) : 0);
  const applyStay = (next: Stay) => {
    stay = next;
    journey.view.amount = next.due;
    journey.view.upstream.localizador = next.localizador;
    journey.setReference(next.localizador);
    journey.setDeadline('transactionValidUntil', next.transaction?.validUntil);
    journey.setDeadline('exitBy', next.exitBy);
    if (next.placa && !journey.view.plate) journey.view.plate = next.placa;
  };
  const owedMinor = () => Math.max(0, dueMinor() - collectedMinor);
  const registrationRetry = backoff(polling.firstMs, polling.maxMs);

  setHandler(getJourney, () => journey.view);
  setHandler(paymentChanged, (view) => {
    if (view.paymentId !== current?.paymentId) return;
    if (view.status === 'captured' && current.status !== 'captured') {
      collectedMinor += toMinorUnits(view.amount!.value);
      captured.push(view);
    }
    current = view;
    journey.view.payment = view;
  });


  setHandler(
    payJourney,
    async ({ method }) => {
      if (current?.status === 'pending' && current.redirectUrl) return current;
      attempts += 1;
      const amount = { value: fromMinorUnits(owedMinor()), currency: stay!.due.currency };
      const marginMs = Math.min(MAX_REGISTRATION_MARGIN_MS, (validUntil() - Date.now()) * REGISTRATION_MARGIN_FRACTION);
      const orderId = paymentOrderId(journey.view.id, attempts);
      current = { paymentId: orderId, method: method ?? 'mobilpay', redirectUrl: '', status: 'pending', amount };
      await startChild(payment, {
        workflowId: paymentWorkflowId(orderId),
        args: [{ journeyId: journey.view.id, attempt: attempts, method: method ?? 'mobilpay', amount, dueAt: new Date(validUntil() - marginMs).toISOString(), description: `LinkC stay ${stay!.localizador}`, polling }],
        // A late capture must still be refunded if the journey has moved on.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      await condition(() => !!current?.redirectUrl || current?.status !== 'pending');
      journey.view.payment = current;
      if (!current.redirectUrl) throw ApplicationFailure.nonRetryable(current.reason ?? 'the payment could not be opened', FailureType.UpstreamRejected);
      return current;
    },
    {
      validator: (_request) => {
        journey.require('pay', ['awaiting_payment']);
        if (owedMinor() === 0 && current?.status !== 'pending') throw ApplicationFailure.nonRetryable('the amount due is already paid; it is being registered', FailureType.WrongState);
      },
    },
  );

  setHandler(
    exitJourney,
    async () => {
      const next = await lookUp();
      if (next && dueMinor() > 0) journey.moveTo('awaiting_payment'); // overstayed: pay the difference first
      else if (next) journey.moveTo('exiting');
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
        journey.require('cancel', ['awaiting_payment', 'paid']);
        if (collectedMinor > 0 || current?.status === 'pending') throw ApplicationFailure.nonRetryable('a payment is under way: it cannot be cancelled now', FailureType.WrongState);
      },
    },
  );

  /** Looks the stay up again (new transaction id, maybe a new amount); undefined once the car left. */
  async function lookUp(): Promise<Stay | undefined> {
    try {
      const next = await reads.lookupLinkcStay(input.lookup);
      applyStay(next);
      return next;
    } catch (err) {
      if (applicationFailureOf(err)?.type === FailureType.UpstreamNotFound) return undefined;
      throw asHandlerFailure(err);
    }
  }

  // First step: the stay, answered to the caller by the start update.
  await firstStep(journey, input.requestHash, async () => {
    applyStay(await steps.lookupLinkcStay(input.lookup));
    journey.moveTo(dueMinor() > 0 ? 'awaiting_payment' : 'paid');
  });

  while (!journey.isTerminal) {
    if (journey.state === 'awaiting_payment') {
      // Enough money collected, or the transaction id lapsed: whichever comes first.
      const lapsesIn = stay?.transaction ? validUntil() - Date.now() : polling.firstMs;
      const ready = lapsesIn > 0 && (await condition(() => (!!stay?.transaction && dueMinor() > 0 && owedMinor() === 0) || journey.state !== 'awaiting_payment', lapsesIn));
      if (journey.state !== 'awaiting_payment') continue;
      if (ready) {
        const outcome = await register();
        if (outcome === 'registered') continue;
        if (outcome === 'unavailable' && validUntil() > Date.now()) {
          // LinkC did not take it yet: try again shortly, never past the id's expiry.
          await sleep(Math.min(registrationRetry(), validUntil() - Date.now()));
          continue;
        }
      }
      // The id lapsed (or could not be used in time): never submit it; look the stay up again.
      const next = await lookUp();
      if (!next) {
        journey.moveTo('completed');
        break;
      }
      await settleExcess();
      if (dueMinor() === 0) journey.moveTo('paid');
    } else if (journey.state === 'paid' || journey.state === 'exiting') {
      await watchExit();
    } else {
      await condition(() => journey.state !== 'finalizing');
    }
  }

  journey.setDeadline('transactionValidUntil', undefined);
  journey.setDeadline('exitBy', undefined);
  await condition(allHandlersFinished);
  return journey.view;

  /** Registers the collected payment with the current transaction id, bounded by its expiry. */
  async function register(): Promise<'registered' | 'refused' | 'unavailable'> {
    const transaction = stay!.transaction!;
    const registration = proxyActivities<LinkcActivities>({
      startToCloseTimeout: '15s',
      scheduleToCloseTimeout: Math.max(1, Date.parse(transaction.validUntil) - Date.now()),
      retry,
    });
    try {
      await registration.registerLinkcPayment({ lookup: input.lookup, transaction, paidBefore: stay!.paid.value, due: stay!.due.value });
    } catch (err) {
      // Expired or refused (the stay changed): the id is done with. Unreachable: try it again.
      const type = applicationFailureOf(err)?.type;
      return type === FailureType.TransactionExpired || type === FailureType.UpstreamRejected ? 'refused' : 'unavailable';
    }
    collectedMinor -= dueMinor();
    const next = await lookUp();
    if (next && dueMinor() === 0) journey.moveTo('paid');
    else if (!next) journey.moveTo('completed');
    return 'registered';
  }

  /** After a new look-up: more collected than now due → refund the excess (the latest capture first). */
  async function settleExcess(): Promise<void> {
    let excess = collectedMinor - dueMinor();
    for (const view of [...captured].reverse()) {
      if (excess <= 0) break;
      const refundedBefore = refundedMinor.get(view.paymentId) ?? 0;
      const refund = Math.min(excess, toMinorUnits(view.amount!.value) - refundedBefore);
      if (refund <= 0) continue;
      await refundPayment({
        method: view.method as 'mobilpay' | 'epx',
        orderId: view.paymentId,
        processorRef: view.processorRef ?? '',
        amount: { value: fromMinorUnits(refund), currency: view.amount!.currency },
        refundedBefore: fromMinorUnits(refundedBefore),
        description: 'excess',
      });
      refundedMinor.set(view.paymentId, refundedBefore + refund);
      collectedMinor -= refund;
      excess -= refund;
    }
  }

  /** Paid: the car leaves by exitBy; an overstay means a new amount due. */
  async function watchExit(): Promise<void> {
    const state: JourneyStateName = journey.state;
    const interval = backoff(polling.firstMs, polling.maxMs);
    while (journey.state === state) {
      const exitBy = Date.parse(journey.view.deadlines.exitBy ?? new Date().toISOString());
      const changed = await condition(() => journey.state !== state, Math.max(1, Math.min(interval(), exitBy - Date.now() + 1000)));
      if (changed) return;
      const next = await lookUp();
      if (!next) journey.moveTo('completed');
      else if (dueMinor() > 0) journey.moveTo('awaiting_payment');
    }
  }
}
