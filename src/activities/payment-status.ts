// The vocabulary every processor's answers are mapped to. Anything not explicitly final is
// pending: only an explicit success or failure from the processor decides (then we poll).
export type ProcessorState = 'pending' | 'captured' | 'declined' | 'refunded';

export interface ProcessorStatus {
  state: ProcessorState;
  /** The processor's id of the transaction (ntpID, AUTH_GUID). */
  processorRef?: string;
  /** Why it was declined, in the processor's words and code. */
  reason?: string;
  /** How much of a capture was refunded so far (decimal string). */
  refunded?: string;
}

export interface OpenedOrder {
  processorRef: string;
  redirectUrl: string;
  /** How long the hosted page takes a card if nobody closes the order (EPX: the TAC's 4 hours). */
  payableForMs?: number;
}
