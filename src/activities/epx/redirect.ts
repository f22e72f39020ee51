import { createHmac, timingSafeEqual } from 'node:crypto';

// EPX's redirect: the browser brings the Browser Post result back to parkflow. It is a hint that
// wakes the payment workflow, which decides from the status look-up — never from these fields.
// Whether EPX signs it is not public (research §5: "asserted only by a third-party repo —
// unverified"): a RESP_MAC (assumed HMAC-SHA256 with the merchant MAC, with RESP_TIMESTAMP) is
// checked when present; without one the redirect is accepted as unsigned.

export class RedirectRejected extends Error {}

const FIELD_ERROR_TEXT: Record<string, string> = {
  FE_001: 'is missing',
  FE_002: 'is not in the expected format',
  FE_003: 'failed the card number check (MOD-10)',
};

/** BP_FIELD_ERRORS ('first_name^FE_002|account_nbr^FE_001') in words: never the values themselves. */
export function describeFieldErrors(value: string): string {
  return value
    .split('|')
    .filter(Boolean)
    .map((pair) => {
      const [field = '?', code = '?'] = pair.split('^');
      return `${field} ${FIELD_ERROR_TEXT[code] ?? 'was refused'} (${code})`;
    })
    .join('; ');
}

function expectedMac(fields: Record<string, string>, mac: string): string {
  const canonical = Object.keys(fields)
    .filter((k) => k !== 'RESP_MAC')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHmac('sha256', mac).update(canonical).digest('hex');
}

function checkSignature(fields: Record<string, string>, settings: { mac: string; nowSeconds: number; maxAgeSeconds?: number }): void {
  const presented = fields.RESP_MAC ?? '';
  const expected = expectedMac(fields, settings.mac);
  if (presented.length !== expected.length || !timingSafeEqual(Buffer.from(presented), Buffer.from(expected)))
    throw new RedirectRejected('bad RESP_MAC');
  const at = Number(fields.RESP_TIMESTAMP);
  if (!fields.RESP_TIMESTAMP || !Number.isFinite(at) || Math.abs(settings.nowSeconds - at) > (settings.maxAgeSeconds ?? 300))
    throw new RedirectRejected('stale or missing RESP_TIMESTAMP');
}

/**
 * Accepts a redirect that names its transaction and carries a result (AUTH_RESP, or BP_RESP_CODE
 * for one refused field by field). A RESP_MAC, when present, must be right and fresh.
 */
export function verifyEpxRedirect(
  fields: Record<string, string>,
  settings: { mac: string; nowSeconds: number; maxAgeSeconds?: number },
): { fields: Record<string, string>; signed: boolean } {
  if (!fields.TRAN_NBR || !(fields.AUTH_RESP || fields.BP_RESP_CODE)) throw new RedirectRejected('missing TRAN_NBR or a result code');
  if (fields.RESP_MAC === undefined) return { fields, signed: false };
  checkSignature(fields, settings);
  return { fields, signed: true };
}

/** What the redirect says, for the driver's landing page only (the status look-up decides). */
export function epxRedirectOutcome(fields: Record<string, string>): { approved: boolean; reason?: string } {
  if (fields.BP_FIELD_ERRORS) return { approved: false, reason: `card details refused: ${describeFieldErrors(fields.BP_FIELD_ERRORS)}` };
  if (fields.AUTH_RESP === '00') return { approved: true };
  if (fields.AUTH_RESP) return { approved: false, reason: `${fields.AUTH_RESP_TEXT || 'DECLINED'} (${fields.AUTH_RESP})` };
  return { approved: false, reason: `refused by EPX (${fields.BP_RESP_CODE ?? 'no result code'})` };
}
