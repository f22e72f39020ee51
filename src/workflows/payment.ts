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
import type { PaymentActivities } from '../activities/payments';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { type PaymentView } from './messages';
import { getPayment, openPayment, paymentChanged, paymentNotified, paymentOrderId, type PaymentInput } from './payment-messages';
import { applicationFailureOf, backoff } from './support';

// One payment attempt: open the order (deterministic order id) → the hosted page's URL → wait for
// the processor's notification, with a status poll as the backstop → captured, declined (with
// the processor's reason) or expired (nothing captured by the deadline). A capture first seen
// after the deadline is refunded. The processor's status, not the notification's body, decides:
// duplicated, reordered or lost notifications change nothing.

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES };
const { openPaymentOrder } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', scheduleToCloseTimeout: '1m', retry });
/** Reads and refunds retry until the processor answers: money must not be left behind. */
const { paymentStatus, refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', retry });

const DEFAULT_LATE_CAPTURE_WINDOW_MS = 4 * 3600_000;
const DEFAULT_POLLING = { firstMs: 5_000, maxMs: 60_000 };

export async function payment(input: PaymentInput): Promise<PaymentView> {
  const order = { method: input.method, orderId: paymentOrderId(input.journeyId, input.attempt), amount: input.amount, description: input.description };
  const view: PaymentView = { paymentId: order.orderId, method: input.method, redirectUrl: '', status: 'pending' };
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

  setHandler(getPayment, () => view);
  setHandler(paymentNotified, () => void (notified = true));
  setHandler(openPayment, async () => {
    await condition(() => opened);
    if (!view.redirectUrl) throw ApplicationFailure.nonRetryable(view.reason ?? 'the payment could not be opened', FailureType.UpstreamRejected);
    return view;
  });

  try {
    const opening = await openPaymentOrder(order);
    view.redirectUrl = opening.redirectUrl;
  } catch (err) {
    Object.assign(view, { status: 'declined', reason: `the processor refused the order: ${applicationFailureOf(err)?.message ?? String(err)}` });
  }
  opened = true;
  await changed();

  const dueAt = Date.parse(input.dueAt);
  const closeAt = dueAt + (input.lateCaptureWindowMs ?? DEFAULT_LATE_CAPTURE_WINDOW_MS);
  const polling = input.polling ?? DEFAULT_POLLING;
  const nextPoll = backoff(polling.firstMs, polling.maxMs);

  while (view.redirectUrl && (view.status === 'pending' || view.status === 'expired')) {
    const now = Date.now();
    if (now >= closeAt) break;
    // Wake for a notification, the next poll, or the deadline — whichever comes first.
    const until = view.status === 'pending' ? Math.min(now + nextPoll(), dueAt) : Math.min(now + nextPoll(), closeAt);
    notified = false;
    if (until > now) await condition(() => notified, until - now);
    const checkedAt = Date.now();
    const status = await paymentStatus(order);

    if (status.state === 'captured') {
      if (checkedAt <= dueAt) {
        Object.assign(view, { status: 'captured', reason: undefined });
      } else {
        await refundPayment({ ...order, processorRef: status.processorRef ?? '' });
        Object.assign(view, { status: 'refunded', reason: 'captured after the payment deadline' });
      }
    } else if (status.state === 'refunded') {
      Object.assign(view, { status: 'refunded', reason: 'refunded at the processor' });
    } else if (status.state === 'declined' && view.status === 'pending') {
      Object.assign(view, { status: 'declined', reason: status.reason ?? 'declined by the processor' });
    } else if (view.status === 'pending' && checkedAt >= dueAt) {
      Object.assign(view, { status: 'expired', reason: 'nothing paid by the deadline' });
    } else {
      continue;
    }
    await changed();
  }

  await condition(allHandlersFinished);
  return view;
}
