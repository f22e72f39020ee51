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

export function payPage(order: PaymentOrder, parkingName: string): string {
  const amount = `${fromMinorUnits(order.amountMinor)} ${order.currency}`;
  if (order.status !== 'pending') return resultPage(order);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parking+Plus payment</title></head>
<body>
<h1>Pay ${escapeHtml(amount)}</h1>
<p>${escapeHtml(parkingName)} — order ${order.id}</p>
<form method="post" action="/api/payment/pay/${order.id}">
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
