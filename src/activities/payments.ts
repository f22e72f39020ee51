import { fromMinorUnits, toMinorUnits, type Money } from '../domain/money';
import { type PaymentMethod } from '../domain/payment-methods';
import { type EpxClient } from './epx/client';
import { type MobilPayClient } from './mobilpay/client';
import { type OpenedOrder, type ProcessorStatus } from './payment-status';

// The thin routing table from a payment method to its processor's client.

export type { PaymentMethod };

export interface PaymentDeps {
  mobilpay: MobilPayClient;
  epx: EpxClient;
  /** Where processors and browsers reach parkflow (webhooks, return pages). */
  publicBaseUrl: string;
}

export interface PaymentOrder {
  method: PaymentMethod;
  /** Ours and deterministic: `<journey id>.<attempt>`. */
  orderId: string;
  amount: Money;
  description: string;
}

export function createPaymentActivities({ mobilpay, epx, publicBaseUrl }: PaymentDeps) {
  const base = publicBaseUrl.replace(/\/$/, '');
  const statusOf = (order: Pick<PaymentOrder, 'method' | 'orderId'>) =>
    order.method === 'mobilpay' ? mobilpay.status(order.orderId) : epx.status(order.orderId);
  return {
    /** Creates the order at the processor (idempotent on the order id): the hosted page's URL. */
    async openPaymentOrder(order: PaymentOrder): Promise<OpenedOrder> {
      const back = `${base}/v1/webhooks/${order.method}?orderId=${encodeURIComponent(order.orderId)}`;
      return order.method === 'mobilpay'
        ? mobilpay.startOrder({
            orderId: order.orderId,
            amount: order.amount,
            description: order.description,
            notifyUrl: back,
            redirectUrl: `${base}/v1/payments/return?orderId=${encodeURIComponent(order.orderId)}`,
          })
        : epx.keyExchange({ orderId: order.orderId, amount: order.amount, redirectUrl: back });
    },

    /** The processor's word on the order; anything not explicitly final is pending. */
    async paymentStatus(order: Pick<PaymentOrder, 'method' | 'orderId'>): Promise<ProcessorStatus> {
      return statusOf(order);
    },

    /** Stops an unpaid order from being paid (MobilPay cancels it; an EPX TAC just runs out). */
    async closePaymentOrder(order: Pick<PaymentOrder, 'method' | 'orderId'>): Promise<void> {
      if (order.method === 'mobilpay') await mobilpay.cancel(order.orderId);
    },

    /**
     * Refunds the order down to `keep` (what it should still hold): the processor's record says
     * what is held now, so a retry after a lost answer, or a second call, refunds nothing more.
     */
    async refundPayment(order: PaymentOrder & { keep: string }): Promise<{ refunded: string }> {
      const status = await statusOf(order);
      if (status.state !== 'captured') return { refunded: '0.00' };
      const heldMinor = toMinorUnits(status.captured ?? order.amount.value) - toMinorUnits(status.refunded ?? '0');
      const refundMinor = heldMinor - toMinorUnits(order.keep);
      if (refundMinor <= 0) return { refunded: '0.00' };
      const amount = { value: fromMinorUnits(refundMinor), currency: order.amount.currency };
      if (order.method === 'mobilpay') await mobilpay.credit(order.orderId, status.processorRef ?? '', amount);
      else await epx.refund(order.orderId, amount);
      return { refunded: amount.value };
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
