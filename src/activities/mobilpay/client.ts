import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { normalizeAmount, type Money } from '../../domain/money';
import { callUpstream, parseUpstream, rejectUpstream, UpstreamUnauthorized, type UpstreamResponse } from '../http';
import { type OpenedOrder, type ProcessorStatus } from '../payment-status';

// NETOPIA Payments API v2 (MobilPay) client: start an order for the hosted page, read its
// status, credit (refund) it. The order id is ours and deterministic: Netopia deduplicates on it
// (56 = the same order again, 99 = the same id with another amount).

export interface MobilPaySettings {
  baseUrl: string;
  apiKey: string;
  posSignature: string;
  timeoutMs: number;
}

const Instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
const Payment = z
  .object({
    ntpID: z.string(),
    status: z.number().int(),
    paymentURL: z.url().optional(),
    amount: z.number().nonnegative().optional(),
    refundedAmount: z.number().nonnegative().optional(),
    operationDate: Instant.optional(),
  })
  .loose();
const StartAnswer = z
  .object({ error: z.object({ code: z.string(), message: z.string().optional() }).loose().optional(), payment: Payment.optional() })
  .loose();
const StatusAnswer = z
  .object({ payment: Payment, error: z.object({ code: z.string(), message: z.string().optional() }).loose().optional() })
  .loose();

/** Netopia status codes (SDK ipn.go): 3 paid and 5 confirmed are money taken; 8 credit is refunded; 13 is in review. */
export function netopiaState(status: number): ProcessorStatus['state'] {
  if (status === 3 || status === 5) return 'captured';
  if (status === 8) return 'refunded';
  if (status === 13) return 'in_review';
  if ([4, 11, 12, 23].includes(status)) return 'declined';
  return 'pending';
}

/** Netopia's JSON amounts are numbers (the one Number boundary): back to a two-decimal string. */
const decimal = (amount: number) => normalizeAmount(amount.toFixed(2));

export class MobilPayClient {
  constructor(private readonly settings: MobilPaySettings) {}

  async startOrder(input: {
    orderId: string;
    amount: Money;
    description: string;
    notifyUrl: string;
    redirectUrl: string;
  }): Promise<OpenedOrder> {
    const where = 'mobilpay start';
    const res = await this.send('/payment/card/start', {
      config: { notifyUrl: input.notifyUrl, redirectUrl: input.redirectUrl, language: 'ro', emailTemplate: '' },
      payment: { options: { installments: 1, bonus: 0 } },
      order: {
        ntpID: '',
        posSignature: this.settings.posSignature,
        dateTime: new Date().toISOString(),
        description: input.description,
        orderID: input.orderId,
        // Netopia wants a JSON number; the decimal string has at most two decimals.
        amount: Number(input.amount.value),
        currency: input.amount.currency,
      },
    });
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const answer = parseUpstream(StartAnswer, res.body, where);
    const code = answer.error?.code;
    if (code === '99')
      throw ApplicationFailure.nonRetryable(`${where}: order ${input.orderId} exists with another amount`, FailureType.UpstreamRejected);
    if ((code === '101' || code === '56' || code === '00') && answer.payment?.paymentURL) {
      return { processorRef: answer.payment.ntpID, redirectUrl: answer.payment.paymentURL };
    }
    throw ApplicationFailure.nonRetryable(
      `${where}: refused (${code ?? 'no code'}: ${answer.error?.message ?? ''})`,
      FailureType.UpstreamRejected,
    );
  }

  async status(orderId: string): Promise<ProcessorStatus> {
    const where = 'mobilpay status';
    const res = await this.send('/operation/status', { posID: this.settings.posSignature, orderID: orderId, ntpID: '' });
    if (res.status === 404) return { state: 'pending' }; // not known yet: nothing paid
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const { payment } = parseUpstream(StatusAnswer, res.body, where);
    const state = netopiaState(payment.status);
    const message = (res.body as { payment?: { message?: string }; error?: { code?: string; message?: string } }).error;
    const moved = state === 'captured' || state === 'refunded';
    return {
      state,
      processorRef: payment.ntpID,
      reason: state === 'declined' ? `${message?.message ?? 'declined'} (${message?.code ?? payment.status})` : undefined,
      captured: moved && payment.amount !== undefined ? decimal(payment.amount) : undefined,
      refunded: payment.refundedAmount === undefined ? undefined : decimal(payment.refundedAmount),
      capturedAt: moved && payment.operationDate ? new Date(payment.operationDate).toISOString() : undefined,
    };
  }

  /** Cancels an unpaid order so it can no longer be paid; a paid order stays paid. */
  async cancel(orderId: string): Promise<void> {
    const res = await this.send('/operation/cancel', { posID: this.settings.posSignature, orderID: orderId });
    if (res.status !== 200 && res.status !== 404) rejectUpstream('mobilpay cancel', res.status, res.body);
  }

  /** Refunds the order in full; crediting an already credited order changes nothing. */
  async credit(orderId: string, processorRef: string, amount: Money): Promise<void> {
    const where = 'mobilpay credit';
    const res = await this.send('/operation/credit', {
      posID: this.settings.posSignature,
      orderID: orderId,
      ntpID: processorRef,
      amount: Number(amount.value),
    });
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
  }

  private async send(path: string, body: unknown): Promise<UpstreamResponse> {
    try {
      return await callUpstream({
        upstream: 'mobilpay',
        baseUrl: this.settings.baseUrl,
        method: 'POST',
        path,
        body,
        headers: { authorization: this.settings.apiKey },
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (err) {
      if (err instanceof UpstreamUnauthorized)
        throw ApplicationFailure.nonRetryable('mobilpay: the API key was refused', FailureType.UpstreamRejected);
      throw err;
    }
  }
}
