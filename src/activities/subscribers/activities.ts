import { Context, log } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { signEvent } from '../../domain/event-signing';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { refusedSubscriberUrl, type TargetPolicy } from '../../domain/subscriber-url';
import { ownerOf } from '../../domain/owners';
import { type Difference } from '../../reconciliation/compare';
import {
  eventsEmitted,
  eventStreamId,
  RECONCILIATION_EVENT_TYPE,
  type ParkflowEvent,
  type ReconciliationEvent,
} from '../../workflows/event-messages';
import { eventStream } from '../../workflows/event-stream';
import {
  deliveryFailed,
  deliveryRecovered,
  listSubscriptions,
  subscriptionsWorkflowId,
  type SubscriptionRecord,
} from '../../workflows/subscription-messages';
import { postEvent } from './delivery';

export interface EventActivityDeps {
  temporal: Client;
  box: SecretBox;
  policy: TargetPolicy;
  timeoutMs: number;
}

export interface Subscriber {
  id: string;
  events: SubscriptionRecord['events'];
}

export function createEventActivities({ temporal, box, policy, timeoutMs }: EventActivityDeps) {
  const records = async (tenant: string): Promise<SubscriptionRecord[]> => {
    try {
      return await temporal.workflow.getHandle(subscriptionsWorkflowId(tenant)).query(listSubscriptions);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return []; // the tenant never subscribed
      throw err;
    }
  };

  const publish = (tenant: string, journeyId: string, events: ParkflowEvent[]) =>
    temporal.workflow.signalWithStart(eventStream, {
      workflowId: eventStreamId(journeyId),
      taskQueue: Context.current().info.taskQueue,
      args: [{ tenant, journeyId }],
      signal: eventsEmitted,
      signalArgs: [events],
    });

  const count = (outcome: string) =>
    Context.current()
      .metricMeter.createCounter('parkflow_webhook_deliveries', undefined, 'Event delivery attempts by outcome')
      .add(1, { outcome });

  return {
    /** Hands a journey's events to its stream workflow, starting it when it is not running. */
    async publishEvents({ tenant, journeyId, events }: { tenant: string; journeyId: string; events: ParkflowEvent[] }): Promise<void> {
      await publish(tenant, journeyId, events);
    },

    /** A reconciliation's differences, each to its journey's stream (the journey's tenant's subscribers). */
    async announceDifferences({ day, differences }: { day: string; differences: Difference[] }): Promise<number> {
      const byJourney = new Map<string, ReconciliationEvent[]>();
      const occurredAt = new Date().toISOString();
      for (const d of differences) {
        const event: ReconciliationEvent = {
          id: `reconciliation-${day}.${d.journeyId}.${d.kind}.${d.order ?? d.processor}`,
          type: RECONCILIATION_EVENT_TYPE,
          journeyId: d.journeyId,
          occurredAt,
          data: {
            day,
            kind: d.kind,
            processor: d.processor,
            order: d.order,
            expected: d.expected,
            found: d.found,
            why: d.why,
            compensated: !!d.compensated,
          },
        };
        byJourney.set(d.journeyId, [...(byJourney.get(d.journeyId) ?? []), event]);
      }
      let announced = 0;
      for (const [journeyId, events] of byJourney) {
        const tenant = ownerOf('journey', journeyId);
        if (!tenant) continue;
        await publish(tenant, journeyId, events);
        announced += events.length;
      }
      return announced;
    },

    /** The tenant's active subscriptions (no secrets). */
    async subscribersOf(tenant: string): Promise<Subscriber[]> {
      return (await records(tenant)).filter((record) => record.status === 'active').map(({ id, events }) => ({ id, events }));
    },

    /** One attempt to deliver one event; a failure is retried by the stream's retry policy. */
    async deliverEvent({ tenant, subscriptionId, event }: { tenant: string; subscriptionId: string; event: ParkflowEvent }): Promise<void> {
      const record = (await records(tenant)).find((candidate) => candidate.id === subscriptionId);
      if (!record || record.status !== 'active') {
        count('inactive');
        throw ApplicationFailure.nonRetryable(
          `subscription ${subscriptionId} is ${record ? 'paused' : 'deleted'}`,
          FailureType.SubscriptionInactive,
        );
      }
      const refused = await refusedSubscriberUrl(record.url, policy);
      if (refused) {
        count('refused');
        throw ApplicationFailure.nonRetryable(`subscriber URL refused: ${refused}`, FailureType.SubscriberTargetRefused);
      }
      const now = new Date();
      const secrets = record.secrets.filter((s) => !s.retiresAt || Date.parse(s.retiresAt) > now.getTime()).map((s) => box.open(s.sealed));
      const body = JSON.stringify(event);
      const outcome = await postEvent(record.url, signEvent(event.id, now, body, secrets), body, timeoutMs, policy);
      const handle = temporal.workflow.getHandle(subscriptionsWorkflowId(tenant));
      if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) {
        count('delivered');
        if (record.failingSince) await handle.signal(deliveryRecovered, { id: subscriptionId });
        return;
      }
      count('failed');
      // Told on the first failure only (not on every retry): the subscriptions workflow times the pause.
      if (!record.failingSince) await handle.signal(deliveryFailed, { id: subscriptionId });
      if (outcome.refusedTarget) throw ApplicationFailure.nonRetryable(outcome.error!, FailureType.SubscriberTargetRefused);
      const why = outcome.status !== undefined ? `answered ${outcome.status}` : outcome.error;
      log.warn('subscriber did not take the event', { subscriptionId, eventId: event.id, journeyId: event.journeyId, why });
      throw ApplicationFailure.retryable(`subscriber ${subscriptionId} ${why}`, FailureType.SubscriberUnavailable);
    },
  };
}

export type EventActivities = ReturnType<typeof createEventActivities>;
