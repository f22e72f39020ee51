import { log, proxyLocalActivities } from '@temporalio/workflow';
import type { EventActivities } from '../activities/subscribers/activities';
import { type ParkflowEvent } from './event-messages';

/** A journey before it emitted events; with it, every transition is sent to the journey's event stream. */
export const JOURNEY_EVENTS_PATCH = 'journey-events';

/**
 * Signal-With-Start from a local activity: no extra workflow task for the journey, and the stream
 * workflow starts when it is not running. Retried until Temporal takes it (it is Temporal itself).
 */
const { publishEvents } = proxyLocalActivities<EventActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

/** A journey's events, sent one batch at a time so the stream receives them in order. */
export class EventOutbox {
  private readonly queue: ParkflowEvent[] = [];
  private sending = false;

  constructor(
    private readonly tenant: string,
    private readonly journeyId: string,
  ) {}

  add(event: ParkflowEvent): void {
    this.queue.push(event);
    if (!this.sending) void this.send();
  }

  /** Nothing left to send: the journey may end or continue as new. */
  get empty(): boolean {
    return !this.sending && this.queue.length === 0;
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const events = this.queue.splice(0);
        await publishEvents({ tenant: this.tenant, journeyId: this.journeyId, events });
      }
    } catch (err) {
      log.error('journey events not published', { journeyId: this.journeyId, error: String(err) });
      this.queue.length = 0;
    } finally {
      this.sending = false;
    }
  }
}
