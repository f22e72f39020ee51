// Netopia sandbox cards (research §4b; seed 000 for the first two). All take CVV 111.

export interface CardVerdict {
  /** Netopia payment status: 3 paid, 12 declined, 13 in review (antifraud), 11 error. */
  status: 3 | 11 | 12 | 13;
  code: string;
  message: string;
}

const APPROVED: CardVerdict = { status: 3, code: '00', message: 'Approved' };

const CARDS: Record<string, CardVerdict> = {
  '9900004810225098': APPROVED,
  '99110059532258': APPROVED,
  '9900541631437790': { status: 12, code: '19', message: 'Expired card' },
  '9900518572831942': { status: 12, code: '20', message: 'Insufficient funds' },
  '9900827979991500': { status: 12, code: '21', message: 'CVV2 incorrect' },
  // Held for an antifraud review, which the simulator then decides (see MobilPaySandboxOptions.review).
  '9900005786662552': { status: 13, code: '36', message: 'Payment in review (antifraud)' },
  '9900576270414197': { status: 12, code: '34', message: 'Transaction not permitted' },
  '9900130597497640': { status: 11, code: '22', message: 'Issuer unavailable (bank error)' },
};

export function judgeNetopiaCard(cardNumber: string, cvv: string): CardVerdict {
  const verdict = CARDS[cardNumber.replace(/\s+/g, '')] ?? { status: 12, code: '35', message: 'Transaction declined' };
  if (verdict.status === 3 && cvv !== '111') return { status: 12, code: '21', message: 'CVV2 incorrect' };
  return verdict;
}
