import { z } from 'zod';
import { PAYMENT_METHODS } from '../domain/payment-methods';
import { EVENT_TYPES, JOURNEY_EVENT_TYPES, RECONCILIATION_EVENT_TYPE } from '../workflows/event-messages';
import { JOURNEY_STATES, PROVIDERS } from '../workflows/messages';
import { Money } from './schemas';

// Event subscriptions and the events parkflow sends them (Standard Webhooks), as /openapi.json documents them.

export const SubscriptionId = z
  .string()
  .regex(/^sub_[a-f0-9]{16}$/)
  .meta({ description: 'sub_<16 hex>', example: 'sub_4f1c2a9b7d3e5f60' });

const EventType = z.enum(EVENT_TYPES).meta({
  id: 'EventType',
  description:
    'journey.<state>: the journey entered that state; reconciliation.difference: the nightly reconciliation found one in its money.',
});

export const CreateSubscriptionRequest = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .meta({
        description:
          'Where events are POSTed. https, and not a loopback, private or link-local address (unless parkflow runs in development).',
        example: 'https://backend.example/parkflow-events',
      }),
    events: z
      .array(EventType)
      .min(1)
      .max(EVENT_TYPES.length)
      .refine((events) => new Set(events).size === events.length, 'each event type once')
      .meta({ example: ['journey.paid', 'journey.completed', 'journey.expired'] }),
    description: z.string().max(200).optional(),
  })
  .strict()
  .meta({ id: 'CreateSubscriptionRequest' });
export type CreateSubscriptionRequest = z.infer<typeof CreateSubscriptionRequest>;

export const Subscription = z
  .object({
    id: SubscriptionId,
    url: z.string(),
    events: z.array(EventType),
    description: z.string().optional(),
    status: z
      .enum(['active', 'paused'])
      .meta({ description: 'paused: every delivery failed for a day; resume it when the endpoint is back.' }),
    createdAt: z.iso.datetime(),
    failingSince: z.iso.datetime().optional().meta({ description: 'Since when every delivery has failed.' }),
    pausedAt: z.iso.datetime().optional(),
    previousSecretValidUntil: z.iso
      .datetime()
      .optional()
      .meta({ description: 'Until then events carry a signature with the previous secret too.' }),
  })
  .meta({ id: 'Subscription' });

export const SubscriptionWithSecret = Subscription.extend({
  secret: z.string().meta({
    description: 'The signing secret (whsec_…), shown this once: parkflow keeps it sealed and cannot show it again.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).meta({ id: 'SubscriptionWithSecret' });

export const SubscriptionList = z.object({ subscriptions: z.array(Subscription) }).meta({ id: 'SubscriptionList' });

export const JourneyEvent = z
  .object({
    id: z.string().meta({ description: 'The same for every delivery of this event: deduplicate on it (also the webhook-id header).' }),
    type: z.enum(JOURNEY_EVENT_TYPES),
    journeyId: z.string(),
    state: z.enum(JOURNEY_STATES),
    occurredAt: z.iso.datetime(),
    data: z.object({
      provider: z.enum(PROVIDERS),
      amount: Money.optional(),
      payment: z
        .object({
          paymentId: z.string(),
          method: z.enum(['parkingplus', ...PAYMENT_METHODS]),
          redirectUrl: z.string(),
          status: z.enum(['pending', 'captured', 'declined', 'expired', 'refunded']),
          amount: Money.optional(),
          reason: z.string().optional(),
        })
        .optional(),
      deadlines: z.object({
        paymentDueAt: z.iso.datetime().optional(),
        transactionValidUntil: z.iso.datetime().optional(),
        exitBy: z.iso.datetime().optional(),
      }),
      reference: z.string().optional(),
      failure: z.object({ type: z.string(), message: z.string() }).optional(),
    }),
  })
  .meta({
    id: 'JourneyEvent',
    description:
      'POSTed to each subscription that asked for its type, signed with Standard Webhooks ' +
      '(webhook-id, webhook-timestamp, webhook-signature). At least once, in order per journey and subscription; ' +
      'retried with exponential backoff for up to 24 h. No plate or smart key: GET the journey for those.',
  });

export const ReconciliationEvent = z
  .object({
    id: z.string().meta({ description: 'reconciliation-<day>.<journey id>.<kind>.<order>: deduplicate on it.' }),
    type: z.literal(RECONCILIATION_EVENT_TYPE),
    journeyId: z.string(),
    occurredAt: z.iso.datetime(),
    data: z.object({
      day: z.iso.date(),
      kind: z.string().meta({ example: 'orphan-capture' }),
      processor: z.string(),
      order: z.string().optional(),
      expected: Money.optional(),
      found: Money.optional(),
      why: z.string(),
      compensated: z.boolean().meta({ description: 'Refunded by the reconciliation (a capture of a superseded attempt).' }),
    }),
  })
  .meta({
    id: 'ReconciliationEvent',
    description: "A difference in a journey's money found by the nightly reconciliation; signed like journey events.",
  });
