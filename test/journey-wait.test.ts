import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { FailureType } from '../src/domain/failures';
import { parkingPlusJourney } from '../src/workflows';
import { enterJourney, finalizeJourney, getJourney, hasReached, startJourney, waitForJourney, type JourneyView, type WaitRequest } from '../src/workflows/messages';
import { linkedTestAccount } from './support/accounts';
import { FakeParkingPlus } from './support/fake-parkingplus';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

// Waiting for a state (issue 14): an update that waits on the journey's own condition, answered at
// the transition, at its timeout, or at once when the state is already reached.

let env: TestWorkflowEnvironment;
let taskQueue: string;
const started: string[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});
beforeEach(() => {
  taskQueue = `journey-wait-${randomUUID()}`;
});
afterEach(async () => {
  for (const id of started.splice(0)) {
    await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});

/** Looks far apart: no transition but the ones a test drives. */
const polling = { firstMs: 3_600_000, maxMs: 3_600_000 };

async function withJourney<T>(fn: (handle: WorkflowHandle<typeof parkingPlusJourney>, fake: FakeParkingPlus) => Promise<T>): Promise<T> {
  const fake = new FakeParkingPlus();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: fake.activities,
  });
  return worker.runUntil(async () => {
    const accountId = await linkedTestAccount(env.client, taskQueue);
    started.push(accountId);
    const workflowId = `journey-${randomUUID()}`;
    started.push(workflowId);
    const operation = new WithStartWorkflowOperation(parkingPlusJourney, {
      workflowId,
      taskQueue,
      args: [{ accountId, securedParkingId: 187, requestHash: 'hash-1', polling }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    await env.client.workflow.executeUpdateWithStart(startJourney, { args: [{ requestHash: 'hash-1' }], startWorkflowOperation: operation });
    return fn(await operation.workflowHandle(), fake);
  });
}

/** A wait the journey has accepted (it is waiting now); its answer comes with result(). */
const waiting = (handle: WorkflowHandle, request: WaitRequest) =>
  handle.startUpdate(waitForJourney, { args: [request], waitForStage: WorkflowUpdateStage.ACCEPTED });

const timersStarted = async (handle: WorkflowHandle) =>
  ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((err as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
  return (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

describe('waiting for a journey state (time-skipping)', () => {
  test('a wait answers at the transition, with the state it waited for', async () => {
    await withJourney(async (handle, fake) => {
      const wait = await waiting(handle, { state: 'active', timeoutMs: 30_000 });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const view = await wait.result();
      expect(view.state).toBe('active');
      expect(view.timeline.map((t) => t.state)).toEqual(['entering', 'active']);
    });
  });

  test('a wait answers at its timeout with the journey unchanged', async () => {
    await withJourney(async (handle) => {
      const timers = await timersStarted(handle);
      const wait = await waiting(handle, { state: 'paid', timeoutMs: 5_000 });
      await env.sleep(5_000);
      expect(await timersStarted(handle)).toBe(timers + 1); // the wait's own
      const view = await wait.result();
      expect(view.state).toBe('entering');
      expect(view).toEqual(await handle.query(getJourney));
    });
  });

  test('a wait for a state already reached, or already passed, answers at once (no timer)', async () => {
    await withJourney(async (handle, fake) => {
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      await handle.executeUpdate(finalizeJourney);
      const timers = await timersStarted(handle);
      // Each would hold for 30 s (and the test fail on its timeout) if it waited.
      expect((await handle.executeUpdate(waitForJourney, { args: [{ state: 'awaiting_payment', timeoutMs: 30_000 }] })).state).toBe('awaiting_payment');
      expect((await handle.executeUpdate(waitForJourney, { args: [{ state: 'active', timeoutMs: 30_000 }] })).state).toBe('awaiting_payment');
      expect(await timersStarted(handle)).toBe(timers);
    });
  });

  test('the validator refuses an unknown state or a timeout outside 1..30000 ms, leaving no trace in history', async () => {
    await withJourney(async (handle) => {
      const bad: unknown[] = [
        { state: 'parked', timeoutMs: 1_000 },
        { state: 'paid', timeoutMs: 0 },
        { state: 'paid', timeoutMs: 30_001 },
        { state: 'paid', timeoutMs: 1.5 },
        { state: 'paid' },
      ];
      for (const request of bad) {
        const failure = await rejection(handle.executeUpdate(waitForJourney, { args: [request as WaitRequest] }));
        expect(failure.type).toBe(FailureType.InvalidRequest);
      }
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'waitFor')).toHaveLength(0);
    });
  });
});

test('a state is reached when the journey is in it, has been through it, or has ended', () => {
  const view = (state: JourneyView['state'], ...through: JourneyView['state'][]): JourneyView => ({
    id: 'journey-1',
    provider: 'parkingplus',
    state,
    deadlines: {},
    upstream: {},
    timeline: [...through, state].map((s) => ({ state: s, at: '2025-01-01T00:00:00.000Z' })),
  });
  expect(hasReached(view('active', 'entering'), 'active')).toBe(true);
  expect(hasReached(view('active', 'entering'), 'entering')).toBe(true);
  expect(hasReached(view('active', 'entering'), 'paid')).toBe(false);
  expect(hasReached(view('cancelled', 'entering'), 'paid')).toBe(true);
});
