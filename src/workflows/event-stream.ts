import { allHandlersFinished, condition, log, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { EventActivities } from '../activities/subscribers/activities';
import { FailureType } from '../domain/failures';
import { eventsEmitted, type ParkflowEvent } from './event-messages';
import { applicationFailureOf } from './support';
import { declareVersioning } from './versioning';

// Delivers one journey's events to its tenant's subscribers: one lane per subscriber, in order, each
// event retried with exponential backoff for up to a day. Nothing here is awaited by the journey, so a
// dead subscriber never slows it. The workflow ends once every lane is empty; the journey's next event
// starts it again (Signal-With-Start), so no workflow waits idle beside a parked car.

export interface EventStreamInput {
  tenant: string;
  journeyId: string;
}

export interface EventStreamResult {
  delivered: number;
  undelivered: number;
}

const { subscribersOf } = proxyLocalActivities<EventActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** At least once, for up to 24 h: 10 s, 20 s, 40 s … then hourly. */
const { deliverEvent } = proxyActivities<EventActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: {
    initialInterval: '10s',
    backoffCoefficient: 2,
    maximumInterval: '1h',
    nonRetryableErrorTypes: [FailureType.SubscriptionInactive, FailureType.SubscriberTargetRefused],
  },
});

// Versioning: PINNED, like the journey whose events it carries; it ends within a day.
declareVersioning(eventStream, 'PINNED');
export async function eventStream(input: EventStreamInput): Promise<EventStreamResult> {
  const arrived: ParkflowEvent[] = [];
  /** A reset journey sends its transitions again: one delivery per event id and run of this workflow. */
  const seen = new Set<string>();
  const lanes = new Map<string, ParkflowEvent[]>();
  const result: EventStreamResult = { delivered: 0, undelivered: 0 };

  setHandler(eventsEmitted, (events) => {
    for (const event of events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      arrived.push(event);
    }
  });

  const drain = async (subscriptionId: string, lane: ParkflowEvent[]) => {
    while (lane.length > 0) {
      const event = lane[0]!;
      try {
        await deliverEvent({ tenant: input.tenant, subscriptionId, event });
        result.delivered += 1;
      } catch (err) {
        result.undelivered += 1;
        const type = applicationFailureOf(err)?.type;
        log.warn('event not delivered', { journeyId: input.journeyId, subscriptionId, eventId: event.id, type });
        // Deleted or paused: what is queued for it is not sent either.
        if (type === FailureType.SubscriptionInactive) {
          result.undelivered += lane.length - 1;
          lane.splice(1);
        }
      }
      lane.shift();
    }
    lanes.delete(subscriptionId);
  };

  for (;;) {
    await condition(() => arrived.length > 0 || (lanes.size === 0 && allHandlersFinished()));
    if (arrived.length === 0) return result;
    const batch = arrived.splice(0);
    // Read per batch: a subscription made a moment ago gets the next event.
    for (const subscriber of await subscribersOf(input.tenant)) {
      const wanted = batch.filter((event) => subscriber.events.includes(event.type));
      if (wanted.length === 0) continue;
      const lane = lanes.get(subscriber.id);
      if (lane) lane.push(...wanted);
      else {
        lanes.set(subscriber.id, wanted);
        void drain(subscriber.id, wanted);
      }
    }
  }
}
