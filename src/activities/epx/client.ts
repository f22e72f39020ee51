import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { fromMinorUnits, toMinorUnits, type Money } from '../../domain/money';
import { callUpstream, rejectUpstream, parseUpstream, UpstreamUnauthorized } from '../http';
import { type OpenedOrder, type ProcessorStatus } from '../payment-status';
import { describeFieldErrors } from './redirect';

// EPX Browser Post client: key exchange (TAC) for the hosted form, refund by Server Post, the
// status look-up, each on its own host (research §5: keyexch.epxuap.com, services.epxuap.com/
// browserpost/, secure.epxuap.com). Paths are relative to each configured base.
// Which parts are confirmed and which assumed: see src/sandbox/epx/app.ts.

export { RedirectRejected, verifyEpxRedirect, epxRedirectOutcome, describeFieldErrors } from './redirect';

export interface EpxFourPartKey {
  CUST_NBR: string;
  MERCH_NBR: string;
  DBA_NBR: string;
  TERMINAL_NBR: string;
}

export interface EpxSettings {
  /** Key exchange (sandbox https://keyexch.epxuap.com). */
  keyExchangeUrl: string;
  /** Browser Post (sandbox https://services.epxuap.com/browserpost/): the hosted form is under it. */
  browserPostUrl: string;
  /** Server Post (sandbox https://secure.epxuap.com): refunds, and the status look-up (ASSUMED). */
  serverPostUrl: string;
  mac: string;
  fourPartKey: EpxFourPartKey;
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
const OptionalAmount = Amount.or(z.literal('')).optional();
/** One sale in the status look-up's answer (ASSUMPTION, see the simulator). */
const Sale = z
  .object({
    STATE: z.string(),
    AUTH_GUID: z.string().optional(),
    AUTH_RESP: z.string().optional(),
    AUTH_RESP_TEXT: z.string().optional(),
    AUTH_AMOUNT: OptionalAmount,
    REFUNDED_AMOUNT: OptionalAmount,
    AUTH_TRAN_DATE_GMT: z.union([z.literal(''), z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date')]).optional(),
    BP_FIELD_ERRORS: z.string().optional(),
  })
  .loose();
type Sale = z.infer<typeof Sale>;

function parseXmlFields(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of xml.matchAll(/<FIELD KEY="([A-Z0-9_]+)">([^<]*)<\/FIELD>/g)) fields[match[1]!] = unescapeXml(match[2]!);
  return fields;
}
/** Each <FIELDS> block of an answer (the status look-up answers one per sale). */
function parseXmlRecords(xml: string): Array<Record<string, string>> {
  return [...xml.matchAll(/<FIELDS>([\s\S]*?)<\/FIELDS>/g)].map((m) => parseXmlFields(m[1]!));
}
function unescapeXml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
}

const isApproved = (sale: Sale) => sale.STATE === 'approved' || sale.STATE === 'refunded';
const minor = (amount: string | undefined) => (amount ? toMinorUnits(amount) : 0);
const heldMinor = (sale: Sale) => minor(sale.AUTH_AMOUNT) - minor(sale.REFUNDED_AMOUNT);

/**
 * The order's state from all its sales: several TACs may be live for one TRAN_NBR and EPX does
 * not dedupe, so money is the sum of every approved sale; the earliest approval is when it moved.
 */
function summarizeSales(sales: Sale[]): ProcessorStatus {
  const approved = sales.filter(isApproved);
  if (approved.length) {
    const captured = approved.reduce((sum, s) => sum + minor(s.AUTH_AMOUNT), 0);
    const refunded = approved.reduce((sum, s) => sum + minor(s.REFUNDED_AMOUNT), 0);
    const times = approved.map((s) => s.AUTH_TRAN_DATE_GMT).filter((t): t is string => !!t);
    return {
      state: refunded >= captured ? 'refunded' : 'captured',
      processorRef: approved[0]!.AUTH_GUID,
      captured: fromMinorUnits(captured),
      refunded: fromMinorUnits(refunded),
      capturedAt: times.length ? new Date(Math.min(...times.map((t) => Date.parse(t)))).toISOString() : undefined,
    };
  }
  const last = sales.at(-1);
  if (last?.STATE !== 'declined') return { state: 'pending' };
  return { state: 'declined', processorRef: last.AUTH_GUID || undefined, reason: declineReason(last) };
}

function declineReason(sale: Sale): string {
  if (sale.BP_FIELD_ERRORS) return `card details refused: ${describeFieldErrors(sale.BP_FIELD_ERRORS)}`;
  return `${sale.AUTH_RESP_TEXT || 'DECLINED'} (${sale.AUTH_RESP || '?'})`;
}

/** Where the driver types the card: the hosted form under Browser Post, with the merchant's TAC and 4-part key. */
function hostedFormUrl(browserPostUrl: string, tac: string, key: EpxFourPartKey): string {
  const url = new URL('pay', browserPostUrl.endsWith('/') ? browserPostUrl : `${browserPostUrl}/`);
  url.searchParams.set('TAC', tac);
  for (const [name, value] of Object.entries(key)) url.searchParams.set(name, value);
  return url.toString();
}

export class EpxClient {
  constructor(private readonly settings: EpxSettings) {}

  async keyExchange(input: { orderId: string; amount: Money; redirectUrl: string }): Promise<OpenedOrder> {
    const tranNbr = epxTranNbr(input.orderId);
    const form = {
      MAC: this.settings.mac,
      AMOUNT: input.amount.value,
      TRAN_NBR: tranNbr,
      TRAN_GROUP: 'SALE',
      REDIRECT_URL: input.redirectUrl,
      USER_DATA_1: input.orderId,
    };
    const answer = await this.post(this.settings.keyExchangeUrl, '/', form, 'epx key exchange');
    const tac = parseUpstream(z.object({ TAC: z.string().min(1) }), answer.fields, 'epx key exchange').TAC;
    return {
      processorRef: tranNbr,
      redirectUrl: hostedFormUrl(this.settings.browserPostUrl, tac, this.settings.fourPartKey),
      // A TAC cannot be revoked: the order stays payable until it expires.
      payableForMs: EPX_TAC_LIFETIME_MS,
    };
  }

  async status(orderId: string): Promise<ProcessorStatus> {
    return summarizeSales(await this.sales(orderId));
  }

  /**
   * Refunds (CCE9) `amount` of the order, the latest sale first. EPX does not deduplicate: the
   * sales are looked up first, so a retry refunds only what is still held.
   */
  async refund(orderId: string, amount: Money): Promise<void> {
    const sales = await this.sales(orderId);
    const held = sales.filter((s) => isApproved(s) && heldMinor(s) > 0 && s.AUTH_GUID);
    if (!held.length) {
      if (summarizeSales(sales).state === 'refunded') return;
      throw ApplicationFailure.nonRetryable(`epx refund: nothing captured for ${orderId}`, FailureType.UpstreamRejected);
    }
    let left = toMinorUnits(amount.value);
    for (const sale of held.reverse()) {
      if (left <= 0) break;
      const part = Math.min(left, heldMinor(sale));
      await this.refundSale(orderId, sale.AUTH_GUID!, fromMinorUnits(part));
      left -= part;
    }
  }

  private async refundSale(orderId: string, authGuid: string, amount: string): Promise<void> {
    const form = {
      ...this.settings.fourPartKey,
      TRAN_TYPE: 'CCE9',
      AMOUNT: amount,
      TRAN_NBR: epxTranNbr(`${orderId}/refund/${authGuid}`),
      ORIG_AUTH_GUID: authGuid,
      CARD_ENT_METH: 'Z',
      INDUSTRY_TYPE: 'E',
    };
    const answer = await this.post(this.settings.serverPostUrl, '/', form, 'epx refund');
    if (answer.fields.AUTH_RESP !== '00' && answer.fields.AUTH_RESP_TEXT !== 'ALREADY REFUNDED') {
      throw ApplicationFailure.nonRetryable(
        `epx refund refused: ${answer.fields.AUTH_RESP_TEXT ?? answer.fields.AUTH_RESP}`,
        FailureType.UpstreamRejected,
      );
    }
  }

  /** ASSUMED endpoint (nothing public): the sales made under the order's TRAN_NBR, on the Server Post host. */
  private async sales(orderId: string): Promise<Sale[]> {
    const form = { ...this.settings.fourPartKey, TRAN_NBR: epxTranNbr(orderId) };
    const answer = await this.post(this.settings.serverPostUrl, '/status', form, 'epx status', [404]);
    if (answer.status === 404) return [];
    return answer.records.map((record) => parseUpstream(Sale, record, 'epx status'));
  }

  private async post(
    baseUrl: string,
    path: string,
    form: Record<string, string>,
    where: string,
    okStatuses: number[] = [],
  ): Promise<{ status: number; fields: Record<string, string>; records: Array<Record<string, string>> }> {
    try {
      const res = await fetchForm(baseUrl, path, form, this.settings.timeoutMs);
      if (res.status !== 200 && !okStatuses.includes(res.status))
        rejectUpstream(where, res.status, { message: res.fields.BP_RESP_TEXT ?? res.fields.AUTH_RESP_TEXT });
      return { status: res.status, fields: parseUpstream(Fields, res.fields, where), records: res.records };
    } catch (err) {
      if (err instanceof UpstreamUnauthorized)
        throw ApplicationFailure.nonRetryable(`${where}: ${refusedCredential(where)}`, FailureType.UpstreamRejected);
      throw err;
    }
  }
}

/** The key exchange authenticates by the MAC, Server Post by the 4-part key: name which, never its value. */
function refusedCredential(where: string): string {
  return where === 'epx key exchange' ? 'the merchant MAC was refused' : "the merchant's 4-part key was refused";
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
  return { status: res.status, fields: parseXmlFields(res.text), records: parseXmlRecords(res.text) };
}
