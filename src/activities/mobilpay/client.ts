import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { normalizeAmount, type Money } from '../../domain/money';
import { callUpstream, parseUpstream, rejectUpstream, UpstreamUnauthorized, type UpstreamResponse } from '../http';
import { type OpenedOrder, type ProcessorStatus } from '../payment-status';

// NETOPIA Payments API v2 (MobilPay) client: start an order for the hosted page, read its
// status, credit (refund) it. The order id is ours and deterministic: Netopia deduplicates on it
// (56 = the same order again, 99 = the same id with another amount).

/** The billing NETOPIA requires on every start (country: ISO 3166 numeric, 642 = Romania). */
export interface MerchantBilling {
  email: string;
  phone?: string;
  firstName: string;
  lastName: string;
  city: string;
  country: number;
}

/**
 * The sandbox's merchant default billing. The card holder types their identity on NETOPIA's
 * hosted page and parkflow does not hold the driver's: every start carries the merchant's own.
 */
export const SANDBOX_MERCHANT_BILLING: MerchantBilling = {
  email: 'payments@parkflow.example',
  phone: '+40700000000',
  firstName: 'Parkflow',
  lastName: 'Sandbox',
  city: 'Cluj-Napoca',
  country: 642,
};

export interface MobilPaySettings {
  baseUrl: string;
  apiKey: string;
  posSignature: string;
  timeoutMs: number;
  /** Sent as order.billing on every start; the sandbox default without it. */
  billing?: MerchantBilling;
}

export interface StartInput {
  orderId: string;
  amount: Money;
  description: string;
  notifyUrl: string;
  /** Our landing page, where NETOPIA's hosted page sends the driver back. */
  redirectUrl: string;
}

const Instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
const Payment = z
  .object({
    ntpID: z.string(),
    status: z.number().int(),
    paymentURL: z.url().optional(),
    amount: z.number().nonnegative().optional(),
    refundedAmount: z.number().nonnegative().optional(),
    currency: z.string().optional(),
    operationDate: Instant.optional(),
  })
  .loose();
const StartAnswer = z
  .object({ error: z.object({ code: z.string(), message: z.string().optional() }).loose().optional(), payment: Payment.optional() })
  .loose();
const Detail = z.object({ code: z.string().optional(), message: z.string().optional(), field: z.string().optional() }).loose();
/** A refused start (R-50): error{code, message, details[{code, message, field}]}. */
const StartRefusal = z
  .object({ error: z.object({ code: z.string(), message: z.string().optional(), details: z.array(Detail).optional() }).loose() })
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

/** Netopia status 1: a new order, whose hosted page still takes a card. */
const NEW = 1;

/** Netopia's JSON amounts are numbers (the one Number boundary): back to a two-decimal string. */
const decimal = (amount: number) => normalizeAmount(amount.toFixed(2));

export class MobilPayClient {
  constructor(private readonly settings: MobilPaySettings) {}

  async startOrder(input: StartInput): Promise<OpenedOrder> {
    const where = 'mobilpay start';
    const res = await this.send('/payment/card/start', this.startBody(input));
    if (res.status === 400) refuseStart(where, res.body);
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const answer = parseUpstream(StartAnswer, res.body, where);
    const code = answer.error?.code;
    if (code === '99')
      throw ApplicationFailure.nonRetryable(`${where}: order ${input.orderId} exists with another amount`, FailureType.UpstreamRejected);
    if (code === '56') return this.reopen(input, answer.payment?.paymentURL);
    if ((code === '101' || code === '00') && answer.payment?.paymentURL) {
      return { processorRef: answer.payment.ntpID, redirectUrl: answer.payment.paymentURL };
    }
    throw ApplicationFailure.nonRetryable(
      `${where}: refused (${code ?? 'no code'}: ${answer.error?.message ?? ''})`,
      FailureType.UpstreamRejected,
    );
  }

  private startBody(input: StartInput) {
    return {
      config: { notifyUrl: input.notifyUrl, redirectUrl: input.redirectUrl, language: 'ro', emailTemplate: '' },
      payment: { options: { installments: 1, bonus: 0 } },
      order: {
        ntpID: '',
        posSignature: this.settings.posSignature,
        dateTime: new Date().toISOString(), // RFC 3339, as the SDK requires
        description: input.description,
        orderID: input.orderId,
        // Netopia wants a JSON number; the decimal string has at most two decimals.
        amount: Number(input.amount.value),
        currency: input.amount.currency,
        billing: this.settings.billing ?? SANDBOX_MERCHANT_BILLING,
      },
    };
  }

  /**
   * 56: the order exists — ours, from a start whose answer was lost (order ids are per attempt).
   * The 56 body is not the order's record ("Order closed" says status 5 whatever happened), so
   * NETOPIA's status decides: an order still new keeps its page; any other is no page to pay, so
   * the driver goes to our landing page and the payment workflow's status read sees the capture,
   * the decline, the review or the refund.
   */
  private async reopen(input: StartInput, paymentURL: string | undefined): Promise<OpenedOrder> {
    const where = 'mobilpay start';
    const record = (await this.statusAnswer(input.orderId))?.payment;
    if (!record)
      throw ApplicationFailure.retryable(
        `${where}: order ${input.orderId} is a duplicate (56) NETOPIA's status does not know yet`,
        FailureType.UpstreamUnavailable,
      );
    if (record.status !== NEW) return { processorRef: record.ntpID, redirectUrl: input.redirectUrl };
    if (!paymentURL)
      throw ApplicationFailure.nonRetryable(
        `${where}: order ${input.orderId} is open but NETOPIA gave no page to pay it`,
        FailureType.UpstreamRejected,
      );
    return { processorRef: record.ntpID, redirectUrl: paymentURL };
  }

  async status(orderId: string): Promise<ProcessorStatus> {
    const answer = await this.statusAnswer(orderId);
    if (!answer) return { state: 'pending' }; // not known yet: nothing paid
    const { payment, error } = answer;
    const state = netopiaState(payment.status);
    const moved = state === 'captured' || state === 'refunded';
    return {
      state,
      processorRef: payment.ntpID,
      reason: state === 'declined' ? `${error?.message ?? 'declined'} (${error?.code ?? payment.status})` : undefined,
      captured: moved && payment.amount !== undefined ? decimal(payment.amount) : undefined,
      refunded: payment.refundedAmount === undefined ? undefined : decimal(payment.refundedAmount),
      currency: moved ? payment.currency : undefined,
      capturedAt: moved && payment.operationDate ? new Date(payment.operationDate).toISOString() : undefined,
    };
  }

  /** NETOPIA's own record of the order, or undefined when it does not know it. */
  private async statusAnswer(orderId: string) {
    const where = 'mobilpay status';
    const res = await this.send('/operation/status', { posID: this.settings.posSignature, orderID: orderId, ntpID: '' });
    if (res.status === 404) return undefined;
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    return parseUpstream(StatusAnswer, res.body, where);
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

/** A refused start (400) as a typed, non-retryable failure naming the fields — never the body. */
function refuseStart(where: string, body: unknown): never {
  const parsed = StartRefusal.safeParse(body);
  if (!parsed.success) rejectUpstream(where, 400, body);
  const { code, message, details = [] } = parsed.data.error;
  const fields = details.map((d) => d.field).filter((f): f is string => !!f);
  const named = details.map((d) => [d.field, d.message].filter(Boolean).join(' ')).filter(Boolean);
  throw ApplicationFailure.nonRetryable(
    `${where}: refused (${code}: ${message ?? 'invalid request'}${named.length ? ` — ${named.join('; ')}` : ''})`,
    FailureType.UpstreamRejected,
    { status: 400, code, fields },
  );
}
