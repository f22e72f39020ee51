import { ApplicationFailure } from '@temporalio/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { normalizeAmount, type Money } from '../../domain/money';
import { callUpstream, rejectUpstream, parseUpstream, UpstreamUnauthorized } from '../http';
import { type OpenedOrder, type ProcessorStatus } from '../payment-status';

// EPX Browser Post client: key exchange (TAC) for the hosted form, refund by Server Post, the
// status look-up, and the verification of the redirect that carries the result back.
// Which parts are confirmed and which assumed: see src/sandbox/epx/app.ts.

export interface EpxSettings {
  baseUrl: string;
  mac: string;
  fourPartKey: { CUST_NBR: string; MERCH_NBR: string; DBA_NBR: string; TERMINAL_NBR: string };
  timeoutMs: number;
}

/** A TAC expires 4 hours after the key exchange (research §5, confirmed). */
export const EPX_TAC_LIFETIME_MS = 4 * 3600_000;

/** EPX wants a numeric TRAN_NBR of at most 10 digits, unique per merchant: derived from our order id. */
export function epxTranNbr(orderId: string): string {
  const n = BigInt(`0x${createHash('sha256').update(orderId).digest('hex').slice(0, 15)}`);
  return String(1_000_000_000n + (n % 9_000_000_000n));
}

const Fields = z.record(z.string(), z.string());
const Amount = z.string().regex(/^\d+(\.\d{1,2})?$/, 'not an amount');
/** What the status look-up says about money that moved (ASSUMPTION, see the simulator). */
const MovedFields = z
  .object({
    AUTH_AMOUNT: Amount.or(z.literal('')).optional(),
    REFUNDED_AMOUNT: Amount.or(z.literal('')).optional(),
    AUTH_TRAN_DATE_GMT: z.union([z.literal(''), z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date')]).optional(),
  })
  .loose();

function parseXmlFields(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of xml.matchAll(/<FIELD KEY="([A-Z0-9_]+)">([^<]*)<\/FIELD>/g)) fields[match[1]!] = unescapeXml(match[2]!);
  return fields;
}
function unescapeXml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
}

export class EpxClient {
  constructor(private readonly settings: EpxSettings) {}

  async keyExchange(input: { orderId: string; amount: Money; redirectUrl: string }): Promise<OpenedOrder> {
    const tranNbr = epxTranNbr(input.orderId);
    const answer = await this.post(
      '/keyexchange',
      {
        MAC: this.settings.mac,
        AMOUNT: input.amount.value,
        TRAN_NBR: tranNbr,
        TRAN_GROUP: 'SALE',
        REDIRECT_URL: input.redirectUrl,
        USER_DATA_1: input.orderId,
      },
      'epx key exchange',
    );
    const tac = parseUpstream(z.object({ TAC: z.string().min(1) }), answer.fields, 'epx key exchange').TAC;
    return {
      processorRef: tranNbr,
      redirectUrl: `${this.settings.baseUrl.replace(/\/$/, '')}/browserpost/pay?TAC=${encodeURIComponent(tac)}`,
      // A TAC cannot be revoked: the order stays payable until it expires.
      payableForMs: EPX_TAC_LIFETIME_MS,
    };
  }

  async status(orderId: string): Promise<ProcessorStatus> {
    const tranNbr = epxTranNbr(orderId);
    const answer = await this.post('/status', { ...this.settings.fourPartKey, TRAN_NBR: tranNbr }, 'epx status', [404]);
    const state = answer.fields.STATE;
    if (state === 'approved' || state === 'refunded') {
      const moved = parseUpstream(MovedFields, answer.fields, 'epx status');
      return {
        state: state === 'approved' ? 'captured' : 'refunded',
        processorRef: answer.fields.AUTH_GUID,
        captured: moved.AUTH_AMOUNT ? normalizeAmount(moved.AUTH_AMOUNT) : undefined,
        refunded: moved.REFUNDED_AMOUNT ? normalizeAmount(moved.REFUNDED_AMOUNT) : undefined,
        capturedAt: moved.AUTH_TRAN_DATE_GMT ? new Date(moved.AUTH_TRAN_DATE_GMT).toISOString() : undefined,
      };
    }
    if (state === 'declined')
      return {
        state: 'declined',
        processorRef: answer.fields.AUTH_GUID,
        reason: `${answer.fields.AUTH_RESP_TEXT ?? 'DECLINED'} (${answer.fields.AUTH_RESP ?? '?'})`,
      };
    return { state: 'pending' };
  }

  /** Refund (CCE9) of an approved sale. EPX does not deduplicate: look the sale up first. */
  async refund(orderId: string, amount: Money): Promise<void> {
    const current = await this.status(orderId);
    if (current.state === 'refunded') return;
    if (current.state !== 'captured' || !current.processorRef) {
      throw ApplicationFailure.nonRetryable(`epx refund: nothing captured for ${orderId}`, FailureType.UpstreamRejected);
    }
    const answer = await this.post(
      '/',
      {
        ...this.settings.fourPartKey,
        TRAN_TYPE: 'CCE9',
        AMOUNT: amount.value,
        TRAN_NBR: epxTranNbr(`${orderId}/refund`),
        ORIG_AUTH_GUID: current.processorRef,
        CARD_ENT_METH: 'Z',
        INDUSTRY_TYPE: 'E',
      },
      'epx refund',
    );
    if (answer.fields.AUTH_RESP !== '00' && answer.fields.AUTH_RESP_TEXT !== 'ALREADY REFUNDED') {
      throw ApplicationFailure.nonRetryable(
        `epx refund refused: ${answer.fields.AUTH_RESP_TEXT ?? answer.fields.AUTH_RESP}`,
        FailureType.UpstreamRejected,
      );
    }
  }

  private async post(
    path: string,
    form: Record<string, string>,
    where: string,
    okStatuses: number[] = [],
  ): Promise<{ status: number; fields: Record<string, string> }> {
    try {
      const res = await fetchForm(this.settings.baseUrl, path, form, this.settings.timeoutMs);
      if (res.status !== 200 && !okStatuses.includes(res.status))
        rejectUpstream(where, res.status, { message: res.fields.BP_RESP_TEXT ?? res.fields.AUTH_RESP_TEXT });
      return { status: res.status, fields: parseUpstream(Fields, res.fields, where) };
    } catch (err) {
      if (err instanceof UpstreamUnauthorized)
        throw ApplicationFailure.nonRetryable(`${where}: the merchant key was refused`, FailureType.UpstreamRejected);
      throw err;
    }
  }
}

/** EPX speaks form posts in and XML out. */
async function fetchForm(baseUrl: string, path: string, form: Record<string, string>, timeoutMs: number) {
  const res = await callUpstream({
    upstream: 'epx',
    baseUrl,
    method: 'POST',
    path,
    form,
    headers: { accept: 'application/xml' },
    timeoutMs,
  });
  return { status: res.status, fields: parseXmlFields(res.text) };
}

export class RedirectRejected extends Error {}

/** Verifies the result EPX's redirect carries (RESP_MAC, ASSUMPTION) and that it is fresh. */
export function verifyEpxRedirect(
  fields: Record<string, string>,
  settings: { mac: string; nowSeconds: number; maxAgeSeconds?: number },
): Record<string, string> {
  const presented = fields.RESP_MAC ?? '';
  const canonical = Object.keys(fields)
    .filter((k) => k !== 'RESP_MAC')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  const expected = createHmac('sha256', settings.mac).update(canonical).digest('hex');
  if (presented.length !== expected.length || !timingSafeEqual(Buffer.from(presented), Buffer.from(expected)))
    throw new RedirectRejected('bad RESP_MAC');
  const at = Number(fields.RESP_TIMESTAMP);
  if (!Number.isFinite(at) || Math.abs(settings.nowSeconds - at) > (settings.maxAgeSeconds ?? 300))
    throw new RedirectRejected('stale or missing RESP_TIMESTAMP');
  if (!fields.TRAN_NBR || !fields.AUTH_RESP) throw new RedirectRejected('missing TRAN_NBR or AUTH_RESP');
  return fields;
}
