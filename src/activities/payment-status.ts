// The vocabulary every processor's answers are mapped to. Anything not explicitly final is
// pending: only an explicit success or failure from the processor decides (then we poll).
// `in_review`: the processor holds the payment for a review (NETOPIA status 13); money may still
// move either way, so whoever watches the order keeps watching.
export type ProcessorState = 'pending' | 'in_review' | 'captured' | 'declined' | 'refunded';

export interface ProcessorStatus {
  state: ProcessorState;
  /** The processor's id of the transaction (ntpID, AUTH_GUID). */
  processorRef?: string;
  /** Why it was declined, in the processor's words and code. */
  reason?: string;
  /** How much was captured (decimal string), once money moved. */
  captured?: string;
  /** How much of a capture was refunded so far (decimal string). */
  refunded?: string;
  /** The order's currency, when the processor's answer carries it (MobilPay does; EPX books in its account's). */
  currency?: string;
  /** When the money moved, by the processor's own record (ISO instant): decides "on time". */
  capturedAt?: string;
}

export interface OpenedOrder {
  processorRef: string;
  redirectUrl: string;
  /** How long the hosted page takes a card if nobody closes the order (EPX: the TAC's 4 hours). */
  payableForMs?: number;
}
