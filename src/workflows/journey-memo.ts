import { type JourneyStateName, type JourneyView, type Provider } from './messages';

// A journey's summary in its memo: what an operator reads in the Temporal UI's list and details,
// and what GET /v1/journeys lists. Unlike search attributes, the memo is encrypted by the payload
// codec, so it may hold the plate; the UI shows it decoded through the codec endpoint only.

/** The memo field holding the summary. */
export const JOURNEY_MEMO = 'journey';

export interface JourneyMemo {
  provider: Provider;
  state: JourneyStateName;
  plate?: string;
  /** The operator's reference (session id, ticket, booking id). */
  reference?: string;
  /** Decimal strings in `currency`, where known: what the operator asks, and what the driver's payment captured. */
  amountDue?: string;
  amountPaid?: string;
  currency?: string;
}

export function journeyMemo(view: JourneyView): JourneyMemo {
  const captured = view.payment?.status === 'captured' ? (view.payment.amount ?? view.amount) : undefined;
  const reference = view.upstream.reference;
  const memo: JourneyMemo = {
    provider: view.provider,
    state: view.state,
    plate: view.plate,
    reference: reference === undefined ? undefined : String(reference),
    amountDue: view.amount?.value,
    amountPaid: captured?.value,
    currency: (view.amount ?? captured)?.currency,
  };
  return Object.fromEntries(Object.entries(memo).filter(([, value]) => value !== undefined)) as unknown as JourneyMemo;
}
