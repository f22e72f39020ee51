import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type Money } from '../domain/money';
import { type PaymentMethod } from '../domain/payment-methods';
import { type PaymentView } from './messages';

// One payment attempt of a journey, charged through our own processor (MobilPay or EPX).

export interface PaymentInput {
  journeyId: string;
  /** 1, 2, …: a declined or expired attempt is followed by a new one, never reused. */
  attempt: number;
  method: PaymentMethod;
  amount: Money;
  /** Money that moved after this instant (by the processor's clock) is refunded. */
  dueAt: string;
  description: string;
  /** The workflow told of every change (the journey); a child's parent when absent. */
  reportTo?: string;
  polling?: { firstMs: number; maxMs: number };
  /** Carried over by continue-as-new while a long watch (a review) goes on. */
  resume?: PaymentResume;
}

export interface PaymentResume {
  view: PaymentView;
  phase: 'open' | 'watch';
  payableUntil: number;
  superseded: boolean;
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
/** The journey no longer wants this attempt: close the order; any money that still lands is refunded. */
export const supersedePayment = defineSignal<[]>('supersede');
/** Sent to the journey on every change of the attempt: a hint to look at the processor's record. */
export const paymentChanged = defineSignal<[PaymentView]>('paymentChanged');

export type { Money };
