import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type Money } from '../domain/money';

// The journey's public vocabulary, shared by every provider's workflow and by its callers
// (the HTTP API, tests). Uniform outside, provider-specific inside.

export const PROVIDERS = ['parkingplus', 'linkc', 'ector'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const JOURNEY_STATES = [
  'entering',
  'active',
  'finalizing',
  'awaiting_payment',
  'paid',
  'exiting',
  'completed',
  'cancelled',
  'expired',
  'failed',
  'needs_reauth',
] as const;
export type JourneyStateName = (typeof JOURNEY_STATES)[number];
export const TERMINAL_STATES: readonly JourneyStateName[] = ['completed', 'cancelled', 'expired', 'failed'];

export interface SmartKeyView {
  kind: 'entrance' | 'exit';
  /** The command the driver's app sends to open the barrier; absent when isOnline (the upstream's is unusable then). */
  accessCommand?: string;
  validFrom: string;
  validUntil: string;
  remainingTries: number;
  /** When true the parking is online-only and the access command cannot be used. */
  isOnline: boolean;
  accessPoints: string[];
}

export type PaymentStatus = 'pending' | 'captured' | 'declined' | 'expired' | 'refunded';

export interface PaymentView {
  paymentId: string;
  /** Who takes the money: the operator itself (Parking+Plus pay_url) or our own processor. */
  method: 'parkingplus' | 'mobilpay' | 'epx';
  redirectUrl: string;
  status: PaymentStatus;
  reason?: string;
  /** The processor's transaction id once money moved (needed to refund an excess). */
  processorRef?: string;
  amount?: Money;
}

export interface JourneyView {
  id: string;
  provider: Provider;
  state: JourneyStateName;
  plate?: string;
  amount?: Money;
  deadlines: { paymentDueAt?: string; transactionValidUntil?: string; exitBy?: string };
  payment?: PaymentView;
  keys?: { entrance?: SmartKeyView; exit?: SmartKeyView };
  upstream: Record<string, string | number>;
  timeline: Array<{ state: JourneyStateName; at: string }>;
  failure?: { type: string; message: string };
}

/** The steps a caller may take after the start; each operator takes some of them. */
export const JOURNEY_STEPS = ['enter', 'finalize', 'pay', 'exit', 'cancel'] as const;
export type JourneyStep = (typeof JOURNEY_STEPS)[number];

export interface StartRequest {
  /** Hash of the HTTP request that started the journey: the same Idempotency-Key with another body is refused. */
  requestHash: string;
}
export interface PayRequest {
  method?: 'mobilpay' | 'epx';
}
export interface CancelRequest {
  reason?: string;
}

/** Update-with-Start: answers with the first step's result (entrance key, stay amount, booking). */
export const startJourney = defineUpdate<JourneyView, [StartRequest]>('start');
export const enterJourney = defineUpdate<JourneyView, []>('enter');
export const finalizeJourney = defineUpdate<JourneyView, []>('finalize');
export const payJourney = defineUpdate<PaymentView, [PayRequest]>('pay');
export const exitJourney = defineUpdate<JourneyView, []>('exit');
export const cancelJourney = defineUpdate<JourneyView, [CancelRequest]>('cancel');
export const getJourney = defineQuery<JourneyView, []>('journey');

export interface WaitRequest {
  state: JourneyStateName;
  timeoutMs: number;
}
/**
 * The longest a wait holds. A run continues as new only once its handlers have finished
 * (allHandlersFinished, see support.ts continueAsNewWhenLong), so this also bounds how long a waiting
 * caller can hold that back; waits that arrive meanwhile answer at once (Journey.continuing).
 */
export const MAX_WAIT_MS = 30_000;
/** Answers once the journey has reached the state (or ended), or at the timeout: the journey as it is then. */
export const waitForJourney = defineUpdate<JourneyView, [WaitRequest]>('waitFor');

/** The journey is in `state` or has been through it, or has ended (and will never get there). */
export function hasReached(view: JourneyView, state: JourneyStateName): boolean {
  return view.state === state || view.timeline.some((entry) => entry.state === state) || TERMINAL_STATES.includes(view.state);
}
/** Sent by the account workflow when a journey waiting in needs_reauth can use the account again. */
export const accountRelinked = defineSignal<[]>('accountRelinked');

/**
 * Look the journey up now instead of at the next poll: sent when a driver's browser comes back from a hosted page
 * (Parking+Plus `return_url`, MobilPay and EPX return URLs) and by `POST /v1/journeys/{id}/refresh`. A hint only: the
 * journey reads the upstream's and processors' records, and never looks more often than its floor (REFRESH_FLOOR_MS).
 */
export interface RefreshRequest {
  /** Who asked: the return from a hosted page, or a backend. */
  source: 'return' | 'backend';
  /** The upstream order id a Parking+Plus return carried (its `return_url`'s `id`). */
  orderId?: string;
}
export const refreshJourney = defineSignal<[RefreshRequest]>('refresh');
/** A journey looks at most once per this interval, however many refreshes arrive. */
export const REFRESH_FLOOR_MS = 1_000;
