import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ProcessorStatus } from '../activities/payment-status';
import type { PaymentActivities } from '../activities/payments';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { type PaymentView } from './messages';
import { getPayment, openPayment, paymentChanged, paymentNotified, paymentOrderId, type PaymentInput } from './payment-messages';
import { applicationFailureOf, backoff } from './support';

// One payment attempt: open the order (deterministic order id) → the hosted page's URL → wait for
// the processor's notification, with a status poll as the backstop → captured, declined (with
// the processor's reason) or expired (nothing captured by the deadline). An expired order is
// closed at the processor and watched until it can no longer be paid: a capture that lands
// after the deadline is refunded. The processor's status, not a notification's body, decides,
// so duplicated, reordered or lost notifications change nothing.

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES };
const { openPaymentOrder } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', scheduleToCloseTimeout: '1m', retry });
/** Reads, closes and refunds retry until the processor answers: money must not be left behind. */
const { paymentStatus, closePaymentOrder, refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', retry });

const DEFAULT_POLLING = { firstMs: 5_000, maxMs: 60_000 };

export async function payment(input: PaymentInput): Promise<PaymentView> {
  const order = { method: input.method, orderId: paymentOrderId(input.journeyId, input.attempt), amount: input.amount, description: input.description };
  const view: PaymentView = { paymentId: order.orderId, method: input.method, redirectUrl: '', status: 'pending', amount: input.amount };
  const dueAt = Date.parse(input.dueAt);
  const polling = input.polling ?? DEFAULT_POLLING;
  const nextPoll = backoff(polling.firstMs, polling.maxMs);
  let opened = false;
  let notified = false;

  const changed = async () => {
    const parent = workflowInfo().parent;
    if (!parent) return;
    try {
      await getExternalWorkflowHandle(parent.workflowId).signal(paymentChanged, { ...view });
    } catch (err) {
      log.warn('could not tell the journey about its payment', { orderId: order.orderId, error: String(err) });
    }
  };
  /** Waits for a notification or until `untilMs`, whichever comes first. */
  const waitUntil = async (untilMs: number) => {
    notified = false;
    const now = Date.now();
    if (untilMs > now) await condition(() => notified, untilMs - now);
  };
  /** Applies a final processor answer; false while there is none. */
  const settle = async (status: ProcessorStatus, checkedAt: number): Promise<boolean> => {
    if (status.state === 'captured' && checkedAt <= dueAt) {
      Object.assign(view, { status: 'captured', reason: undefined, processorRef: status.processorRef });
    } else if (status.state === 'captured') {
      await refundPayment({ ...order, processorRef: status.processorRef ?? '' });
      Object.assign(view, { status: 'refunded', reason: 'captured after the payment deadline' });
    } else if (status.state === 'refunded') {
      Object.assign(view, { status: 'refunded', reason: 'refunded at the processor' });
    } else if (status.state === 'declined' && view.status === 'pending') {
      Object.assign(view, { status: 'declined', reason: status.reason ?? 'declined by the processor' });
    } else {
      return false;
    }
    await changed();
    return true;
  };

  setHandler(getPayment, () => view);
  setHandler(paymentNotified, () => void (notified = true));
  setHandler(openPayment, async () => {
    await condition(() => opened);
    if (!view.redirectUrl) throw ApplicationFailure.nonRetryable(view.reason ?? 'the payment could not be opened', FailureType.UpstreamRejected);
    return view;
  });

  let payableForMs = 0;
  try {
    const opening = await openPaymentOrder(order);
    view.redirectUrl = opening.redirectUrl;
    payableForMs = opening.payableForMs ?? 0;
  } catch (err) {
    Object.assign(view, { status: 'declined', reason: `the processor refused the order: ${applicationFailureOf(err)?.message ?? String(err)}` });
  }
  const openedAt = Date.now();
  opened = true;
  await changed();

  // Until the deadline: a notification or the next poll, whichever comes first.
  let settled = !view.redirectUrl;
  while (!settled && view.status === 'pending') {
    await waitUntil(Math.min(Date.now() + nextPoll(), dueAt));
    const checkedAt = Date.now();
    settled = await settle(await paymentStatus(order), checkedAt);
    if (!settled && checkedAt >= dueAt) {
      Object.assign(view, { status: 'expired', reason: 'nothing paid by the deadline' });
      await changed();
    }
  }

  // Expired: close the order, then watch it until it can no longer be paid; refund what lands.
  if (!settled && view.status === 'expired') {
    await closePaymentOrder(order);
    const payableUntil = openedAt + payableForMs;
    // Only a lost notification needs the poll now: look rarely (EPX keeps a TAC for 4 hours).
    const nextLook = backoff(polling.maxMs, 30 * 60_000);
    for (;;) {
      const checkedAt = Date.now();
      if (await settle(await paymentStatus(order), checkedAt)) break;
      if (checkedAt >= payableUntil) break;
      await waitUntil(Math.min(checkedAt + nextLook(), payableUntil));
    }
  }

  await condition(allHandlersFinished);
  return view;
}
