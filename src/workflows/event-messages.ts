import { defineSignal } from '@temporalio/workflow';
import { type Money } from '../domain/money';
import { JOURNEY_STATES, type JourneyStateName, type JourneyView, type PaymentStatus, type PaymentView, type Provider } from './messages';

// The events parkflow sends to tenants' subscribers (Standard Webhooks), shared by the workflows
// that emit them, the delivery activities, the HTTP API (subscriptions) and the receiver example.

/** One event type per journey state a journey enters: `journey.paid`, `journey.completed`, … */
export const JOURNEY_EVENT_TYPES = JOURNEY_STATES.map((state) => `journey.${state}` as const);
export type JourneyEventType = (typeof JOURNEY_EVENT_TYPES)[number];
/** The nightly reconciliation found a difference in a journey's money (src/workflows/reconciliation.ts). */
export const RECONCILIATION_EVENT_TYPE = 'reconciliation.difference';
/** Every type a subscription may ask for. */
export const EVENT_TYPES: readonly [EventType, ...EventType[]] = [RECONCILIATION_EVENT_TYPE, ...JOURNEY_EVENT_TYPES];
export type EventType = JourneyEventType | typeof RECONCILIATION_EVENT_TYPE;

/** What a journey event says about the journey: no plate, no smart key command (a subscriber reads those with GET). */
export interface JourneyEventData {
  provider: Provider;
  amount?: Money;
  payment?: Pick<PaymentView, 'paymentId' | 'method' | 'redirectUrl' | 'amount' | 'reason'> & { status: PaymentStatus };
  deadlines: JourneyView['deadlines'];
  reference?: string;
  failure?: { type: string; message: string };
}

export interface JourneyEvent {
  /** `<journey id>.<transition number>.<state>`: the same transition always has the same id (deduplicate on it). */
  id: string;
  type: JourneyEventType;
  journeyId: string;
  state: JourneyStateName;
  occurredAt: string;
  data: JourneyEventData;
}

/** The event for the journey's latest transition (the last entry of its timeline). */
export function journeyEvent(view: JourneyView): JourneyEvent {
  const transition = view.timeline.length - 1;
  const { payment, failure } = view;
  return {
    id: `${view.id}.${transition}.${view.state}`,
    type: `journey.${view.state}`,
    journeyId: view.id,
    state: view.state,
    occurredAt: view.timeline[transition]!.at,
    data: {
      provider: view.provider,
      ...(view.amount && { amount: { ...view.amount } }),
      ...(payment && {
        payment: {
          paymentId: payment.paymentId,
          method: payment.method,
          redirectUrl: payment.redirectUrl,
          status: payment.status,
          ...(payment.amount && { amount: { ...payment.amount } }),
          ...(payment.reason && { reason: payment.reason }),
        },
      }),
      deadlines: { ...view.deadlines },
      ...(view.upstream.reference !== undefined && { reference: String(view.upstream.reference) }),
      ...(failure && { failure: { ...failure } }),
    },
  };
}

/** A difference the nightly reconciliation found in one journey's money (no journey state: it judges the books). */
export interface ReconciliationEvent {
  /** `reconciliation-<day>.<journey id>.<kind>.<order>`: the same difference of the same day has the same id. */
  id: string;
  type: typeof RECONCILIATION_EVENT_TYPE;
  journeyId: string;
  occurredAt: string;
  data: {
    day: string;
    kind: string;
    processor: string;
    order?: string;
    expected?: Money;
    found?: Money;
    why: string;
    /** Refunded by the reconciliation (a capture of a superseded attempt). */
    compensated: boolean;
  };
}

/** What a subscriber receives. */
export type ParkflowEvent = JourneyEvent | ReconciliationEvent;

/** Events of one stream (a journey), in the order they happened. Sent with Signal-With-Start. */
export const eventsEmitted = defineSignal<[ParkflowEvent[]]>('events');

/** The workflow that delivers one journey's events: readable next to the journey in the Web UI. */
export function eventStreamId(journeyId: string): string {
  return `events-${journeyId}`;
}
