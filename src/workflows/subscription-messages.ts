import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type EventType } from './event-messages';

// A tenant's event subscriptions live in one long-lived workflow per tenant. Secrets travel and rest
// sealed (src/domain/sealed.ts); only the delivery activity opens them, and the API shows one once.

export type SubscriptionStatus = 'active' | 'paused';

export interface SubscriptionRecord {
  id: string;
  url: string;
  events: EventType[];
  description?: string;
  status: SubscriptionStatus;
  createdAt: string;
  /** Newest first. An older one is still used to sign until `retiresAt` (both sign while a secret rotates). */
  secrets: Array<{ sealed: string; createdAt: string; retiresAt?: string }>;
  /** Since when every delivery has failed (cleared by a success). */
  failingSince?: string;
  pausedAt?: string;
}

export interface Subscribe {
  id: string;
  url: string;
  events: EventType[];
  description?: string;
  sealedSecret: string;
}

export const subscribe = defineUpdate<SubscriptionRecord, [Subscribe]>('subscribe');
export const unsubscribe = defineUpdate<void, [string]>('unsubscribe');
export const rotateSecret = defineUpdate<SubscriptionRecord, [{ id: string; sealedSecret: string }]>('rotateSecret');
export const resumeSubscription = defineUpdate<SubscriptionRecord, [string]>('resume');
export const listSubscriptions = defineQuery<SubscriptionRecord[], []>('subscriptions');
/** A delivery failed (sent when the subscriber was not failing yet): the pause timer starts. */
export const deliveryFailed = defineSignal<[{ id: string }]>('deliveryFailed');
/** A subscriber that was failing took an event. */
export const deliveryRecovered = defineSignal<[{ id: string }]>('deliveryRecovered');

export function subscriptionsWorkflowId(tenant: string): string {
  return `subscriptions-${tenant}`;
}

/** A tenant's subscriptions are few; more is a mistake (or abuse) rather than a need. */
export const MAX_SUBSCRIPTIONS = 20;
/** How long the previous secret still signs after a rotation, so receivers can switch without losing events. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60_000;
/** A subscriber failing without a single success for this long is paused (an event's retries span as much). */
export const DEFAULT_PAUSE_AFTER_MS = 24 * 60 * 60_000;
