import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type Money } from '../domain/money';
import { type PaymentView } from './messages';

// One payment attempt of a journey, charged through our own processor (MobilPay or EPX).

export interface PaymentInput {
  journeyId: string;
  /** 1, 2, …: a declined or expired attempt is followed by a new one, never reused. */
  attempt: number;
  method: 'mobilpay' | 'epx';
  amount: Money;
  /** Nothing captured by then: the attempt is expired (and a later capture is refunded). */
  dueAt: string;
  description: string;
  polling?: { firstMs: number; maxMs: number };
}

/** The processor order id: deterministic, so a retried or reset workflow can never open a second order. */
export function paymentOrderId(journeyId: string, attempt: number): string {
  return `${journeyId}.${attempt}`;
}

export function paymentWorkflowId(orderId: string): string {
  return `payment-${orderId}`;
}

/** Answers once the order exists at the processor: the hosted page to send the driver to. */
export const openPayment = defineUpdate<PaymentView, []>('open');
export const getPayment = defineQuery<PaymentView, []>('payment');
/** A processor notification arrived (webhook): look at the processor now. */
export const paymentNotified = defineSignal<[]>('notified');
/** Sent to the parent journey on every change of the attempt. */
export const paymentChanged = defineSignal<[PaymentView]>('paymentChanged');

export type { Money };
