import { fromMinorUnits } from '../../domain/money';
import { escapeHtml } from '../../domain/html';
import { type PaymentOrder } from './model';

// The hosted page behind pay_url: a real HTML form where the driver types the card.
// Sandbox cards from seed 000: MobilPay 9900004810225098 (CVV 111) accepted, 9900541631437790
// expired; EPX 4000000000000002 accepted.

export interface CardOutcome {
  status: 'confirmed' | 'error';
  reason?: string;
}

const MOBILPAY_CARDS: Record<string, CardOutcome> = {
  '9900004810225098': { status: 'confirmed' },
  '9900541631437790': { status: 'error', reason: 'expired card' },
};
const EPX_CARDS: Record<string, CardOutcome> = {
  '4000000000000002': { status: 'confirmed' },
};

export function judgeCard(processor: 'mobilpay' | 'epx', cardNumber: string, cvv: string): CardOutcome {
  const digits = cardNumber.replace(/\s+/g, '');
  if (processor === 'mobilpay') {
    const outcome = MOBILPAY_CARDS[digits];
    if (!outcome) return { status: 'error', reason: 'card declined' };
    if (outcome.status === 'confirmed' && cvv !== '111') return { status: 'error', reason: 'CVV2 incorrect' };
    return outcome;
  }
  return EPX_CARDS[digits] ?? { status: 'error', reason: 'card declined' };
}

/**
 * The return_url a pay_url carries (research §1: passed Base64-encoded): the decoded http(s) URL,
 * undefined when there is none, null when it is not a Base64-encoded http(s) URL.
 */
export function decodeReturnUrl(raw: unknown): string | undefined | null {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) return null;
  const decoded = Buffer.from(raw, 'base64').toString('utf8');
  try {
    const url = new URL(decoded);
    return url.protocol === 'http:' || url.protocol === 'https:' ? decoded : null;
  } catch {
    return null;
  }
}

/** Where the WebView goes after the payment: the return_url with the order's id (`?id=` or `&id=`), before any fragment. */
export function returnTarget(returnUrl: string, orderId: number): string {
  const hash = returnUrl.indexOf('#');
  const [base, fragment] = hash < 0 ? [returnUrl, ''] : [returnUrl.slice(0, hash), returnUrl.slice(hash)];
  return `${base}${base.includes('?') ? '&' : '?'}id=${orderId}${fragment}`;
}

export function payPage(order: PaymentOrder, parkingName: string, returnUrlParam?: string): string {
  const amount = `${fromMinorUnits(order.amountMinor)} ${order.currency}`;
  if (order.status !== 'pending') return resultPage(order);
  const back = returnUrlParam ? `\n  <input type="hidden" name="return_url" value="${escapeHtml(returnUrlParam)}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parking+Plus payment</title></head>
<body>
<h1>Pay ${escapeHtml(amount)}</h1>
<p>${escapeHtml(parkingName)} — order ${order.id}</p>
<form method="post" action="/api/payment/pay/${order.id}">${back}
  <label>Processor <select name="processor" id="processor">
    <option value="mobilpay">MobilPay</option><option value="epx">EPX</option>
  </select></label><br>
  <label>Card number <input name="card_number" id="card_number" autocomplete="cc-number" inputmode="numeric" required></label><br>
  <label>Expiry (MM/YY) <input name="exp_date" id="exp_date" autocomplete="cc-exp"></label><br>
  <label>CVV <input name="cvv" id="cvv" autocomplete="cc-csc"></label><br>
  <button type="submit" id="pay">Pay ${escapeHtml(amount)}</button>
</form>
</body></html>`;
}

export function resultPage(order: PaymentOrder): string {
  const text = order.status === 'confirmed' ? 'Payment confirmed' : `Payment failed: ${order.declineReason ?? 'declined'}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(text)}</title></head>
<body><h1 id="result" data-status="${order.status}">${escapeHtml(text)}</h1><p>order ${order.id}</p></body></html>`;
}
