import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ProcessorStatus } from '../activities/payment-status';
import type { PaymentActivities } from '../activities/payments';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { type PaymentView } from './messages';
import { countPaymentOutcome } from './metrics';
import {
  getPayment,
  openPayment,
  paymentChanged,
  paymentNotified,
  paymentOrderId,
  supersedePayment,
  type PaymentInput,
} from './payment-messages';
import { PaymentMethod, PaymentStatus } from './search-attributes';
import { applicationFailureOf, backoff } from './support';
import { declareVersioning } from './versioning';

// One payment attempt: open the order (deterministic order id) → the hosted page's URL → wait for
// the processor's notification, with a status poll as the backstop → captured, declined (with
// the processor's reason) or expired (nothing captured by the deadline). The processor's record
// decides, never a notification's body: duplicated, reordered or lost notifications change
// nothing. "On time" is judged by when the money moved (the processor's capture time; without
// one, its status at the deadline), not by when we looked. After the deadline — or once the
// journey supersedes the attempt — the order is closed and watched until it can no longer be
// paid (or a review at the processor ends): money that lands then is refunded.

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
const { openPaymentOrder } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', scheduleToCloseTimeout: '1m', retry });
/** Reads, closes and refunds retry until the processor answers: money must not be left behind. */
const { paymentStatus, closePaymentOrder, refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', retry });

const DEFAULT_POLLING = { firstMs: 5_000, maxMs: 60_000 };
/** A watch that goes on for days (a long review) continues as new before its history grows large. */
const HISTORY_LIMIT = 2_000;
const MAX_WATCH_INTERVAL_MS = 30 * 60_000;
/** Attempts from before it wrote no search attributes (their replays still do not). */
const SEARCH_ATTRIBUTES_PATCH = 'payment-search-attributes';
/** An order that opened is not reported to the journey: the opener has its answer (the journey woke once more for it). */
const OPENED_NOT_REPORTED_PATCH = 'payment-opened-not-reported';

// Versioning: PINNED. An attempt's money (order, deadline, refunds) is judged start to end by the code that
// opened it, even through a days-long watch; its continued runs keep the build too.
declareVersioning(payment, 'PINNED');
export async function payment(input: PaymentInput): Promise<PaymentView> {
  const order = {
    method: input.method,
    orderId: paymentOrderId(input.journeyId, input.attempt),
    amount: input.amount,
    description: input.description,
  };
  const view: PaymentView = input.resume?.view ?? {
    paymentId: order.orderId,
    method: input.method,
    redirectUrl: '',
    status: 'pending',
    amount: input.amount,
  };
  const dueAt = Date.parse(input.dueAt);
  const polling = input.polling ?? DEFAULT_POLLING;
  const reportTo = input.reportTo ?? workflowInfo().parent?.workflowId;
  let superseded = input.resume?.superseded ?? false;
  let opened = !!input.resume;
  let woken = false;
  let statusShown: PaymentView['status'] | undefined;

  /** PaymentMethod and PaymentStatus, written when the status changes. */
  const showStatus = () => {
    if (view.status === statusShown || !patched(SEARCH_ATTRIBUTES_PATCH)) return;
    statusShown = view.status;
    upsertSearchAttributes([
      { key: PaymentMethod, value: view.method },
      { key: PaymentStatus, value: view.status },
    ]);
  };
  const changed = async () => {
    showStatus();
    if (!reportTo) return;
    try {
      await getExternalWorkflowHandle(reportTo).signal(paymentChanged, { ...view });
    } catch (err) {
      log.warn('could not tell the journey about its payment', { orderId: order.orderId, error: String(err) });
    }
  };
  /** Waits for a notification (or the journey's word) or until `untilMs`, whichever comes first. */
  const waitUntil = async (untilMs: number) => {
    woken = false;
    const now = Date.now();
    if (untilMs > now) await condition(() => woken, untilMs - now);
  };
  /** Applies the processor's record; true once it is final. `open`: the attempt is still wanted. */
  const settle = async (status: ProcessorStatus, phase: 'open' | 'watch'): Promise<boolean> => {
    if (status.state === 'captured') {
      const onTime = !superseded && (status.capturedAt ? Date.parse(status.capturedAt) <= dueAt : phase === 'open');
      if (onTime) {
        Object.assign(view, { status: 'captured', reason: undefined, processorRef: status.processorRef });
      } else {
        await refundPayment({ ...order, keep: '0.00' });
        const reason = superseded ? 'captured after the journey gave this attempt up' : 'captured after the payment deadline';
        Object.assign(view, { status: 'refunded', reason, processorRef: status.processorRef });
      }
    } else if (status.state === 'refunded') {
      Object.assign(view, { status: 'refunded', reason: 'refunded at the processor' });
    } else if (status.state === 'declined') {
      if (view.status === 'pending') Object.assign(view, { status: 'declined', reason: status.reason ?? 'declined by the processor' });
    } else {
      if (status.state === 'in_review' && view.reason !== IN_REVIEW) {
        view.reason = IN_REVIEW;
        await changed();
      }
      return false;
    }
    await changed();
    return true;
  };
  const continueIfLong = async (phase: 'open' | 'watch', payableUntil: number) => {
    if (workflowInfo().historyLength < HISTORY_LIMIT && !workflowInfo().continueAsNewSuggested) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof payment>({ ...input, resume: { view, phase, payableUntil, superseded } });
  };

  showStatus();
  setHandler(getPayment, () => view);
  setHandler(paymentNotified, () => void (woken = true));
  setHandler(supersedePayment, () => void (superseded = woken = true));
  setHandler(openPayment, async () => {
    await condition(() => opened);
    if (!view.redirectUrl)
      throw ApplicationFailure.nonRetryable(view.reason ?? 'the payment could not be opened', FailureType.UpstreamRejected);
    return view;
  });

  let phase = input.resume?.phase ?? 'open';
  let payableUntil = input.resume?.payableUntil ?? 0;
  if (!input.resume) {
    try {
      const opening = await openPaymentOrder(order);
      view.redirectUrl = opening.redirectUrl;
      payableUntil = Date.now() + (opening.payableForMs ?? 0);
    } catch (err) {
      Object.assign(view, {
        status: 'declined',
        reason: `the processor refused the order: ${applicationFailureOf(err)?.message ?? String(err)}`,
      });
    }
    opened = true;
    if (view.redirectUrl && patched(OPENED_NOT_REPORTED_PATCH)) showStatus();
    else await changed();
  }
  if (!view.redirectUrl) {
    countPaymentOutcome(view.method, view.status);
    return view;
  }

  // Until the deadline: a notification or the next poll, whichever comes first.
  const nextPoll = backoff(polling.firstMs, polling.maxMs);
  let settled = false;
  while (phase === 'open' && !settled) {
    await waitUntil(superseded ? Date.now() : Math.min(Date.now() + nextPoll(), dueAt));
    const status = await paymentStatus(order);
    settled = await settle(status, 'open');
    if (!settled && (superseded || Date.now() >= dueAt)) {
      phase = 'watch';
      if (status.state !== 'in_review') {
        Object.assign(view, { status: 'expired', reason: superseded ? 'superseded by the journey' : 'nothing paid by the deadline' });
        await changed();
      }
      await closePaymentOrder(order);
    } else if (!settled) {
      await continueIfLong('open', payableUntil);
    }
  }

  // Closed: watch until it can no longer be paid (or the processor's review ends); refund what lands.
  const nextLook = backoff(polling.maxMs, MAX_WATCH_INTERVAL_MS);
  while (phase === 'watch' && !settled) {
    const status = await paymentStatus(order);
    settled = await settle(status, 'watch');
    if (settled || (status.state !== 'in_review' && Date.now() >= payableUntil)) break;
    await continueIfLong('watch', payableUntil);
    const next = Date.now() + nextLook();
    await waitUntil(status.state === 'in_review' ? next : Math.min(next, payableUntil));
  }

  await condition(allHandlersFinished);
  countPaymentOutcome(view.method, view.status);
  return view;
}

const IN_REVIEW = 'in review at the processor';
