import { WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createEventActivities } from '../src/activities/subscribers/activities';
import { loadConfig } from '../src/config';
import { newSigningSecret } from '../src/domain/event-signing';
import { SecretBox } from '../src/domain/sealed';
import { eventStream, parkingPlusJourney, subscriptions } from '../src/workflows';
import { eventsEmitted, eventStreamId, type JourneyEvent } from '../src/workflows/event-messages';
import { enterJourney, exitJourney, finalizeJourney, getJourney, payJourney, startJourney, type JourneyStateName } from '../src/workflows/messages';
import { listSubscriptions, resumeSubscription, subscribe, subscriptionsWorkflowId } from '../src/workflows/subscription-messages';
import { linkedTestAccount } from './support/accounts';
import { FakeParkingPlus } from './support/fake-parkingplus';
import { Receiver } from './support/receiver';
import { replayOptions, testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

// Journey events through the real delivery activity to a real HTTP endpoint, on the time-skipping
// server: the backoff between attempts (10 s, 20 s, 40 s … up to an hour) passes in no time.

let env: TestWorkflowEnvironment;
let taskQueue: string;
let receiver: Receiver;
let url: string;
const box = new SecretBox(loadConfig({ NODE_ENV: 'test' }).PARKFLOW_SECRET_KEY);
const started: string[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});
beforeEach(async () => {
  taskQueue = `journey-events-${randomUUID()}`;
  receiver = new Receiver();
  url = await receiver.start();
});
afterEach(async () => {
  for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await receiver.stop();
});

async function withWorker<T>(fn: () => Promise<T>, activities: object = {}): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: {
      ...createEventActivities({ temporal: env.client, box, policy: { allowPrivate: true }, timeoutMs: 2_000 }),
      ...activities,
    },
  });
  return worker.runUntil(fn);
}

/** A tenant of its own per test, subscribed to `events` at the receiver; its secret. */
async function subscribed(tenant: string, events: JourneyEvent['type'][], pauseAfterMs?: number): Promise<string> {
  const secret = newSigningSecret();
  started.push(subscriptionsWorkflowId(tenant));
  await env.client.workflow.executeUpdateWithStart(subscribe, {
    args: [{ id: 'sub_0000000000000001', url, events, sealedSecret: box.seal(secret) }],
    startWorkflowOperation: new WithStartWorkflowOperation(subscriptions, {
      workflowId: subscriptionsWorkflowId(tenant),
      taskQueue,
      args: [{ tenant, pauseAfterMs }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    }),
  });
  return secret;
}

const tenantName = () => `t${randomBytes(4).toString('hex')}`;
const journeyIdOf = (tenant: string) => `journey-${tenant}-${randomBytes(10).toString('hex')}`;

function event(journeyId: string, n: number, state: JourneyStateName): JourneyEvent {
  return {
    id: `${journeyId}.${n}.${state}`,
    type: `journey.${state}`,
    journeyId,
    state,
    occurredAt: new Date(Date.UTC(2026, 10, 24, 8, n)).toISOString(),
    data: { provider: 'parkingplus', deadlines: {} },
  };
}

async function emit(tenant: string, journeyId: string, events: JourneyEvent[]) {
  started.push(eventStreamId(journeyId));
  return env.client.workflow.signalWithStart(eventStream, {
    workflowId: eventStreamId(journeyId),
    taskQueue,
    args: [{ tenant, journeyId }],
    signal: eventsEmitted,
    signalArgs: [events],
  });
}

async function eventually(done: () => boolean, ms = 10_000): Promise<void> {
  for (const until = Date.now() + ms; !done(); ) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('delivery of journey events', () => {
  test('at least once: a subscriber that fails the first 3 times gets the event on the 4th, same id, signed', async () => {
    const tenant = tenantName();
    const journeyId = journeyIdOf(tenant);
    await withWorker(async () => {
      const secret = await subscribed(tenant, ['journey.paid']);
      receiver.failures = [500, 503, 429];
      const stream = await emit(tenant, journeyId, [event(journeyId, 4, 'paid')]);
      expect(await stream.result()).toEqual({ delivered: 1, undelivered: 0 });

      expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 429, 200]);
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      expect([...ids]).toEqual([`${journeyId}.4.paid`]);
      const last = receiver.received[3]!;
      const verified = new Webhook(secret).verify(last.body, last.headers as Record<string, string>);
      expect(verified).toMatchObject({ id: `${journeyId}.4.paid`, type: 'journey.paid', journeyId, state: 'paid' });
      // Exponential backoff: the 4th attempt started 10 + 20 + 40 s of (skipped) workflow time after it was scheduled.
      const events = (await stream.fetchHistory()).events ?? [];
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverEvent')!;
      const lastAttempt = events.find((e) => e.activityTaskStartedEventAttributes)!;
      expect(lastAttempt.activityTaskStartedEventAttributes!.attempt).toBe(4);
      const seconds = (e: typeof scheduled) => Number(e.eventTime!.seconds);
      expect(seconds(lastAttempt) - seconds(scheduled)).toBeGreaterThanOrEqual(70);
    });
  });

  test('in order per journey: a later event waits for an earlier one being retried', async () => {
    const tenant = tenantName();
    const journeyId = journeyIdOf(tenant);
    await withWorker(async () => {
      await subscribed(tenant, ['journey.active', 'journey.finalizing', 'journey.awaiting_payment', 'journey.paid']);
      receiver.failures = [503, 503];
      const stream = await emit(tenant, journeyId, [event(journeyId, 1, 'active'), event(journeyId, 2, 'finalizing')]);
      await stream.signal(eventsEmitted, [event(journeyId, 3, 'awaiting_payment'), event(journeyId, 2, 'finalizing')]);
      await stream.signal(eventsEmitted, [event(journeyId, 4, 'paid')]);
      expect(await stream.result()).toEqual({ delivered: 4, undelivered: 0 });
      expect(receiver.taken.map((e) => e.state)).toEqual(['active', 'finalizing', 'awaiting_payment', 'paid']);
    });
  });

  test('only the types a subscription asked for', async () => {
    const tenant = tenantName();
    const journeyId = journeyIdOf(tenant);
    await withWorker(async () => {
      await subscribed(tenant, ['journey.completed']);
      const stream = await emit(tenant, journeyId, [event(journeyId, 5, 'exiting'), event(journeyId, 6, 'completed')]);
      expect(await stream.result()).toEqual({ delivered: 1, undelivered: 0 });
      expect(receiver.taken.map((e) => e.type)).toEqual(['journey.completed']);
    });
  });

  test('a subscriber that keeps failing is paused (visible in the memo and current details), and can be resumed', async () => {
    const tenant = tenantName();
    const journeyId = journeyIdOf(tenant);
    await withWorker(async () => {
      await subscribed(tenant, ['journey.paid', 'journey.completed'], 60 * 60_000);
      receiver.status = 503;
      const stream = await emit(tenant, journeyId, [event(journeyId, 4, 'paid'), event(journeyId, 6, 'completed')]);
      // Retries span up to a day; the pause (after an hour of failures) stops them and the rest of the lane.
      // Time passes by env.sleep, not result(): with nothing left to wait for, result() lets the test server
      // skip to the next timer of any workflow (here: the subscriptions workflow's 10-year execution timeout).
      await env.sleep('2 hours');
      expect((await stream.describe()).status.name).toBe('COMPLETED');
      const registry = env.client.workflow.getHandle(subscriptionsWorkflowId(tenant));
      const [record] = await registry.query(listSubscriptions);
      expect(record).toMatchObject({ status: 'paused', failingSince: expect.any(String), pausedAt: expect.any(String) });
      const failedFor = Date.parse(record!.pausedAt!) - Date.parse(record!.failingSince!);
      expect(failedFor).toBeGreaterThanOrEqual(60 * 60_000);
      expect(failedFor).toBeLessThan(61 * 60_000);
      const description = await registry.describe();
      expect(description.memo?.subscriptions).toEqual([expect.objectContaining({ id: 'sub_0000000000000001', status: 'paused' })]);
      expect(receiver.taken).toEqual([]);
      const attempts = receiver.received.length;

      receiver.status = 200;
      expect(await registry.executeUpdate(resumeSubscription, { args: ['sub_0000000000000001'] })).toMatchObject({ status: 'active' });
      await emit(tenant, journeyId, [event(journeyId, 7, 'completed')]);
      await eventually(() => receiver.taken.length === 1);
      expect(receiver.received.length).toBe(attempts + 1);
      expect(receiver.taken.map((e) => e.id)).toEqual([`${journeyId}.7.completed`]);
    });
  });

  test('a subscriber down for 2 hours does not delay the journey; its events arrive, in order, when it is back', async () => {
    const tenant = tenantName();
    const fake = new FakeParkingPlus();
    await withWorker(async () => {
      await subscribed(tenant, ['journey.active', 'journey.awaiting_payment', 'journey.paid', 'journey.completed']);
      receiver.status = 503;
      const accountId = await linkedTestAccount(env.client, taskQueue);
      started.push(accountId);
      const journeyId = journeyIdOf(tenant);
      started.push(journeyId, eventStreamId(journeyId));
      const operation = new WithStartWorkflowOperation(parkingPlusJourney, {
        workflowId: journeyId,
        taskQueue,
        args: [{ accountId, securedParkingId: 187, plate: 'B123XYZ', requestHash: 'hash-1' }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      await env.client.workflow.executeUpdateWithStart(startJourney, { args: [{ requestHash: 'hash-1' }], startWorkflowOperation: operation });
      const journey = await operation.workflowHandle();
      fake.state = 'active';
      await journey.executeUpdate(enterJourney);
      await journey.executeUpdate(finalizeJourney);
      await journey.executeUpdate(payJourney, { args: [{}] });
      fake.payment = 'confirmed';
      await env.sleep('1 minute');
      expect((await journey.query(getJourney)).state).toBe('paid');
      await journey.executeUpdate(exitJourney);
      fake.state = 'closed';
      const done = await journey.result();

      // The journey went from its start to completed in about a minute of workflow time, not two hours.
      expect(done.state).toBe('completed');
      const took = Date.parse(done.timeline.at(-1)!.at) - Date.parse(done.timeline[0]!.at);
      expect(took).toBeLessThan(60 * 60_000);
      expect(receiver.taken).toEqual([]);

      await env.sleep('2 hours');
      receiver.status = 200;
      const stream = env.client.workflow.getHandle(eventStreamId(journeyId));
      expect(await stream.result()).toEqual({ delivered: 4, undelivered: 0 });
      expect(receiver.taken.map((e) => e.type)).toEqual(['journey.active', 'journey.awaiting_payment', 'journey.paid', 'journey.completed']);
      expect(receiver.taken.every((e) => e.journeyId === journeyId)).toBe(true);

      // The journey's new path (patch marker, a local activity per batch of events) replays, and so do the
      // stream and the subscriptions workflow it talked to.
      const journeyHistory = await journey.fetchHistory();
      const markers = (journeyHistory.events ?? []).filter((e) => e.markerRecordedEventAttributes);
      expect(markers.length).toBeGreaterThan(1);
      const options = await replayOptions();
      await Worker.runReplayHistory(options, journeyHistory, journeyId);
      await Worker.runReplayHistory(options, await stream.fetchHistory(), eventStreamId(journeyId));
      const registry = env.client.workflow.getHandle(subscriptionsWorkflowId(tenant));
      await Worker.runReplayHistory(options, await registry.fetchHistory(), subscriptionsWorkflowId(tenant));
    }, fake.activities);
  });
});
