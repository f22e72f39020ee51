import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { FailureType } from '../src/domain/failures';
import { getAccessToken, getAccount, linkAccount } from '../src/workflows/account-messages';
import { parkingPlusJourney } from '../src/workflows';
import { type ParkingPlusJourneyInput } from '../src/workflows/parkingplus-journey';
import { cancelJourney, enterJourney, exitJourney, finalizeJourney, getJourney, payJourney, REFRESH_FLOOR_MS, refreshJourney, startJourney, type JourneyView } from '../src/workflows/messages';
import { JourneyReference, JourneyState } from '../src/workflows/search-attributes';
import { linkedTestAccount } from './support/accounts';
import { FakeParkingPlus } from './support/fake-parkingplus';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

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
  taskQueue = `parkingplus-journey-${randomUUID()}`;
});
// A workflow left running would hold the test server's clock while its worker is gone.
afterEach(async () => {
  for (const id of started.splice(0)) {
    await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});

async function withWorker<T>(fake: FakeParkingPlus, fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: fake.activities,
  });
  return worker.runUntil(fn);
}

async function linkedAccount(): Promise<string> {
  const accountId = await linkedTestAccount(env.client, taskQueue);
  started.push(accountId);
  return accountId;
}

async function startedJourney(
  accountId: string,
  extra: Partial<ParkingPlusJourneyInput> = {},
  memo?: Record<string, unknown>,
): Promise<{ handle: WorkflowHandle<typeof parkingPlusJourney>; first: JourneyView }> {
  const workflowId = `journey-${randomUUID()}`;
  started.push(workflowId);
  const operation = new WithStartWorkflowOperation(parkingPlusJourney, {
    workflowId,
    taskQueue,
    args: [{ accountId, securedParkingId: 187, plate: 'B123XYZ', requestHash: 'hash-1', ...extra }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    ...(memo ? { memo } : {}),
  });
  const first = await env.client.workflow.executeUpdateWithStart(startJourney, { args: [{ requestHash: 'hash-1' }], startWorkflowOperation: operation });
  return { handle: await operation.workflowHandle(), first };
}

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

async function updateEvents(handle: WorkflowHandle): Promise<{ accepted: number; rejected: number }> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  return {
    accepted: events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
    rejected: events.filter((e) => e.workflowExecutionUpdateRejectedEventAttributes).length,
  };
}

describe('Parking+Plus journey (time-skipping)', () => {
  test('a full journey: entrance key, active, finalize, paid, exit, completed', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const { handle, first } = await startedJourney(accountId);
      expect(first).toMatchObject({ state: 'entering', provider: 'parkingplus', plate: 'B123XYZ', keys: { entrance: { kind: 'entrance', accessCommand: 'entrance-command' } } });

      fake.state = 'active';
      expect((await handle.executeUpdate(enterJourney)).state).toBe('active');

      const finalized = await handle.executeUpdate(finalizeJourney);
      expect(finalized).toMatchObject({
        state: 'awaiting_payment',
        amount: { value: '10.00', currency: 'RON' },
        payment: { paymentId: '42', method: 'parkingplus', status: 'pending' },
        keys: { exit: { kind: 'exit', accessCommand: 'exit-command-1' } },
      });
      expect(finalized.deadlines.exitBy).toBe(finalized.keys!.exit!.validUntil);
      expect(await handle.executeUpdate(payJourney, { args: [{}] })).toMatchObject({ redirectUrl: expect.stringContaining('/api/payment/pay/42') });

      fake.payment = 'confirmed';
      await env.sleep('1 minute');
      expect((await handle.query(getJourney)).state).toBe('paid');

      expect((await handle.executeUpdate(exitJourney)).state).toBe('exiting');
      expect(fake.activities.finalizeParkingPlusSession).toHaveBeenCalledTimes(1); // the key was still valid
      fake.state = 'closed';
      const done = await handle.result();
      expect(done.state).toBe('completed');
      expect(done.timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid', 'exiting', 'completed']);
    });
  });

  test('an exit window that lapses gets a fresh key by finalizing again', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount());
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const first = (await handle.executeUpdate(finalizeJourney)).keys!.exit!;
      fake.payment = 'confirmed';
      await env.sleep('10 minutes'); // paid, and the 5-minute exit window is gone

      const view = await handle.executeUpdate(exitJourney);
      expect(fake.activities.finalizeParkingPlusSession).toHaveBeenCalledTimes(2);
      expect(view.keys!.exit!.accessCommand).toBe('exit-command-2');
      expect(Date.parse(view.keys!.exit!.validFrom)).toBeGreaterThanOrEqual(Date.parse(first.validUntil));
      expect(view.deadlines.exitBy).toBe(view.keys!.exit!.validUntil);
      expect(view.payment!.status).toBe('captured');
    });
  });

  test('a dead credential parks the journey in needs_reauth until the account is linked again', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const { handle } = await startedJourney(accountId);
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);

      // The refresh token is revoked upstream: the account learns it on its next refresh.
      fake.authExpired = true;
      const account = env.client.workflow.getHandle(accountId);
      expect((await rejection(account.executeUpdate(getAccessToken, { args: [{ stale: 'sealed-access-0' }] }))).type).toBe(FailureType.AuthExpired);
      expect((await account.query(getAccount)).status).toBe('needs_relink');
      expect((await rejection(handle.executeUpdate(finalizeJourney))).type).toBe(FailureType.AuthExpired);
      await env.sleep('1 second');
      expect((await handle.query(getJourney)).state).toBe('needs_reauth');
      expect((await rejection(handle.executeUpdate(finalizeJourney))).type).toBe(FailureType.WrongState);

      fake.authExpired = false;
      await env.client.workflow.getHandle(accountId).executeUpdate(linkAccount, { args: [{ accessToken: 'sealed-access-new', refreshToken: 'sealed-refresh-new', expiresAtMs: Date.now() + 7_200_000 }] });
      await env.sleep('1 second');
      expect((await handle.query(getJourney)).state).toBe('active');
      expect((await handle.executeUpdate(finalizeJourney)).state).toBe('awaiting_payment');
      expect((await handle.query(getJourney)).timeline.map((t) => t.state)).toContain('needs_reauth');
    });
  });

  test('a wrong-state update is rejected by its validator without touching history', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount());
      const before = await updateEvents(handle);

      const failure = await rejection(handle.executeUpdate(exitJourney));
      expect(failure.type).toBe(FailureType.WrongState);
      expect(failure.message).toContain('cannot exit a journey that is entering');
      expect((await rejection(handle.executeUpdate(finalizeJourney))).type).toBe(FailureType.WrongState);

      expect(await updateEvents(handle)).toEqual(before);
      expect(fake.activities.finalizeParkingPlusSession).not.toHaveBeenCalled();

      // and a step that fits is accepted
      expect((await handle.executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');
      expect((await handle.result()).state).toBe('cancelled');
    });
  });

  test('the same Idempotency-Key with another body is refused', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount());
      const failure = await rejection(handle.executeUpdate(startJourney, { args: [{ requestHash: 'another-body' }] }));
      expect(failure.type).toBe(FailureType.IdempotencyKeyReused);
      expect(fake.activities.openParkingPlusSession).toHaveBeenCalledTimes(1);
    });
  });

  test('a journey active for 3 days waits durably without polling, then finishes', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount());
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const readsBefore = fake.activities.readParkingPlusSession.mock.calls.length;

      await env.sleep('3 days');
      const view = await handle.query(getJourney);
      expect(view.state).toBe('active');
      expect(fake.activities.readParkingPlusSession.mock.calls.length).toBe(readsBefore);

      const finalized = await handle.executeUpdate(finalizeJourney);
      expect(finalized.state).toBe('awaiting_payment');
      expect(Date.parse(finalized.timeline.at(-1)!.at) - Date.parse(view.timeline.at(-1)!.at)).toBeGreaterThanOrEqual(3 * 24 * 3600_000);
    });
  });

  test('concurrent refusals of one token cause one refresh in the account workflow', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const account = env.client.workflow.getHandle(accountId);
      const answers = await Promise.all(Array.from({ length: 10 }, () => account.executeUpdate(getAccessToken, { args: [{ stale: 'sealed-access-0' }] })));
      expect(new Set(answers.map((a) => a.accessToken))).toEqual(new Set(['sealed-access-after-sealed-refresh-0']));
      expect(fake.activities.refreshParkingPlusTokens).toHaveBeenCalledTimes(1);
      expect((await account.query(getAccount)).refreshes).toBe(1);
    });
  });
  test('a session adopted already finalized (a reset run) is finalized again, then paid', async () => {
    const fake = new FakeParkingPlus();
    fake.state = 'exiting';
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const { handle } = await startedJourney(accountId);
      // a normal start: no reset lookup asked for
      expect(fake.activities.openParkingPlusSession).toHaveBeenCalledWith({ accountId, securedParkingId: 187, journeyStartedAt: expect.any(String) });
      await env.sleep('1 second');
      const view = await handle.query(getJourney);
      expect(view).toMatchObject({ state: 'awaiting_payment', payment: { paymentId: '42', status: 'pending' }, keys: { exit: { accessCommand: 'exit-command-1' } } });
      expect(fake.activities.finalizeParkingPlusSession).toHaveBeenCalledTimes(1);

      fake.payment = 'confirmed';
      await env.sleep('1 minute');
      expect((await handle.query(getJourney)).timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid']);
    });
  });

  test('a session that already ended (a reset run of a completed journey) completes it without a new one', async () => {
    const fake = new FakeParkingPlus();
    const ended = { state: 'closed' as const, transactionId: 9, amount: { value: '5.00', currency: 'RON' } };
    (fake.activities.openParkingPlusSession as jest.Mock).mockImplementationOnce(async () => ended);
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount());
      const done = await handle.result();
      expect(done).toMatchObject({ state: 'completed', amount: ended.amount, upstream: { transaction: 9 } });
      expect(done.timeline.map((t) => t.state)).toEqual(['entering', 'completed']);
      expect(fake.activities.readParkingPlusSession).not.toHaveBeenCalled();
    });
  });

  test('a journey awaiting payment for hours continues as new, keeps its view, memo and search attributes, then is paid', async () => {
    const historyLimit = 150;
    const polling = { firstMs: 30_000, maxMs: 60_000 };
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle, first } = await startedJourney(await linkedAccount(), { historyLimit, polling }, { owner: 'caller-1' });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const finalized = await handle.executeUpdate(finalizeJourney);
      const latest = env.client.workflow.getHandle<typeof parkingPlusJourney>(first.id);
      const firstRun = (await latest.describe()).runId;
      const pollsBefore = fake.activities.parkingPlusPaymentStatus.mock.calls.length;

      await env.sleep('3 hours'); // the driver does not pay: a payment look-up a minute, ~11 history events each
      const described = await latest.describe();
      expect(described.runId).not.toBe(firstRun);
      // The caller's memo is kept next to the journey's own summary.
      expect(described.memo).toEqual({ owner: 'caller-1', journey: expect.objectContaining({ state: 'awaiting_payment', amountDue: '10.00' }) });
      expect(described.typedSearchAttributes.get(JourneyState)).toBe('awaiting_payment');
      expect(described.typedSearchAttributes.get(JourneyReference)).toBe('7');
      // Idle, a run's history ends at most a workflow task's few events past the last check of the limit.
      expect((await latest.fetchHistory()).events!.length).toBeLessThan(historyLimit + 10);
      const polls = fake.activities.parkingPlusPaymentStatus.mock.calls.length - pollsBefore;
      expect(polls).toBeGreaterThan(150); // it went on waiting in the continued runs...
      expect(polls).toBeLessThanOrEqual((3 * 3600_000) / polling.firstMs); // ...never faster than polling.firstMs
      expect(await latest.query(getJourney)).toEqual(finalized);
      expect(fake.activities.openParkingPlusSession).toHaveBeenCalledTimes(1);

      const pay = await latest.executeUpdate(payJourney, { args: [{}] });
      expect(pay).toMatchObject({ paymentId: '42', redirectUrl: expect.stringContaining('/api/payment/pay/42') });
      fake.payment = 'confirmed';
      await env.sleep('2 minutes');
      expect(await latest.query(getJourney)).toMatchObject({ state: 'paid', payment: { paymentId: '42', status: 'captured' } });

      const exiting = await latest.executeUpdate(exitJourney);
      expect(exiting.keys!.exit!.accessCommand).toBe('exit-command-2'); // the 3-hour-old exit window lapsed
      fake.state = 'closed';
      const done = await latest.result();
      expect(done.state).toBe('completed');
      expect(done.timeline.slice(0, 4)).toEqual(finalized.timeline);
      const states = done.timeline.map((t) => t.state);
      expect(states).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid', 'exiting', 'completed']);
    });
  });
  test('a payment order Parking+Plus no longer knows (404) is no auth failure: the session is finalized again, then paid', async () => {
    const fake = new FakeParkingPlus();
    const notFound = () => {
      throw ApplicationFailure.nonRetryable('parkingplus payment status: not found', FailureType.UpstreamNotFound, { status: 404 });
    };
    fake.activities.parkingPlusPaymentStatus.mockImplementationOnce(async () => notFound());
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const { handle } = await startedJourney(accountId);
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      await handle.executeUpdate(finalizeJourney);

      await env.sleep('30 seconds');
      const view = await handle.query(getJourney);
      expect(view.state).toBe('awaiting_payment');
      expect(view.timeline.map((t) => t.state)).not.toContain('needs_reauth');
      expect(fake.activities.finalizeParkingPlusSession).toHaveBeenCalledTimes(2); // the order asked for again
      expect(await env.client.workflow.getHandle(accountId).query(getAccount)).toMatchObject({ status: 'linked' });

      fake.payment = 'confirmed';
      await env.sleep('1 minute');
      expect((await handle.query(getJourney)).state).toBe('paid');
    });
  });

  test('an order and a session Parking+Plus no longer knows end the journey failed, not in needs_reauth', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const accountId = await linkedAccount();
      const { handle } = await startedJourney(accountId);
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      await handle.executeUpdate(finalizeJourney);
      const gone = async (): Promise<never> => {
        throw ApplicationFailure.nonRetryable('parkingplus: not found', FailureType.UpstreamNotFound, { status: 404 });
      };
      fake.activities.parkingPlusPaymentStatus.mockImplementation(gone);
      fake.activities.finalizeParkingPlusSession.mockImplementation(gone);

      const done = await handle.result();
      expect(done).toMatchObject({ state: 'failed', failure: { type: FailureType.UpstreamNotFound } });
      expect(done.timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'failed']);
      expect(await env.client.workflow.getHandle(accountId).query(getAccount)).toMatchObject({ status: 'linked' });
    });
  });

  describe('cancel: allowed while the driver has paid nothing', () => {
    test('active → cancelled', async () => {
      const fake = new FakeParkingPlus();
      await withWorker(fake, async () => {
        const { handle } = await startedJourney(await linkedAccount());
        fake.state = 'active';
        await handle.executeUpdate(enterJourney);
        expect((await handle.executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');
        expect((await handle.result()).state).toBe('cancelled');
      });
    });

    test('awaiting_payment with nothing paid → cancelled (Parking+Plus asked first)', async () => {
      const fake = new FakeParkingPlus();
      await withWorker(fake, async () => {
        const { handle } = await startedJourney(await linkedAccount());
        fake.state = 'active';
        await handle.executeUpdate(enterJourney);
        await handle.executeUpdate(finalizeJourney);
        const polls = fake.activities.parkingPlusPaymentStatus.mock.calls.length;
        expect((await handle.executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');
        expect(fake.activities.parkingPlusPaymentStatus.mock.calls.length).toBe(polls + 1);
        expect((await handle.result()).timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'cancelled']);
      });
    });

    test('awaiting_payment the driver has just paid → 409, and the journey is paid', async () => {
      const fake = new FakeParkingPlus();
      await withWorker(fake, async () => {
        const { handle } = await startedJourney(await linkedAccount());
        fake.state = 'active';
        await handle.executeUpdate(enterJourney);
        await handle.executeUpdate(finalizeJourney);
        fake.payment = 'confirmed'; // before the journey's next look
        const failure = await rejection(handle.executeUpdate(cancelJourney, { args: [{}] }));
        expect(failure.type).toBe(FailureType.WrongState);
        expect(await handle.query(getJourney)).toMatchObject({ state: 'paid', payment: { status: 'captured' } });
        // paid: no longer cancellable
        expect((await rejection(handle.executeUpdate(cancelJourney, { args: [{}] }))).type).toBe(FailureType.WrongState);
      });
    });

    test('needs_reauth that interrupted an active journey → cancelled', async () => {
      const fake = new FakeParkingPlus();
      await withWorker(fake, async () => {
        const accountId = await linkedAccount();
        const { handle } = await startedJourney(accountId);
        fake.state = 'active';
        await handle.executeUpdate(enterJourney);
        fake.authExpired = true;
        const account = env.client.workflow.getHandle(accountId);
        await rejection(account.executeUpdate(getAccessToken, { args: [{ stale: 'sealed-access-0' }] })); // the account learns it
        expect((await rejection(handle.executeUpdate(finalizeJourney))).type).toBe(FailureType.AuthExpired);
        await env.sleep('1 second');
        expect((await handle.query(getJourney)).state).toBe('needs_reauth');
        expect((await handle.executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');
        expect((await handle.result()).state).toBe('cancelled');
      });
    });
  });
});

/** Until `done` holds (real time, no time skipped meanwhile): a worker's activity may still be running. */
async function eventually(done: () => boolean, ms = 10_000): Promise<void> {
  for (const until = Date.now() + ms; !done(); ) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The return_url a pay_url carries, decoded (research §1: Base64). */
function returnUrlOf(payUrl: string): string | undefined {
  const raw = new URL(payUrl).searchParams.get('return_url');
  return raw === null ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

describe('Parking+Plus journey: refresh (the driver came back from the pay page)', () => {
  const slow = { firstMs: 10 * 60_000, maxMs: 10 * 60_000 };

  test('with long polling, a refresh after the payment makes the journey paid within a second or two, not at the next poll', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount(), { polling: slow });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const finalized = await handle.executeUpdate(finalizeJourney);
      expect(returnUrlOf(finalized.payment!.redirectUrl)).toBe(`https://parkflow.example/v1/returns/parkingplus/${handle.workflowId}`);
      await env.sleep('3 minutes'); // the driver pays on the page meanwhile; the first poll is at 10 minutes
      expect(fake.paymentChecks).toHaveLength(0);

      // A return naming another order than the journey's is ignored: no look.
      await handle.signal(refreshJourney, { source: 'return', orderId: '99' });
      await env.sleep('2 seconds');
      expect(fake.paymentChecks).toHaveLength(0);

      fake.payment = 'confirmed';
      const returnedAt = await env.currentTimeMs();
      await handle.signal(refreshJourney, { source: 'return', orderId: '42' });
      await env.sleep('2 seconds');
      const view = await handle.query(getJourney);
      expect(view).toMatchObject({ state: 'paid', payment: { paymentId: '42', status: 'captured' } });
      const paidAt = Date.parse(view.timeline.find((t) => t.state === 'paid')!.at);
      expect(paidAt - returnedAt).toBeLessThanOrEqual(2_000);
      expect(paidAt - Date.parse(finalized.timeline.at(-1)!.at)).toBeLessThan(slow.firstMs);
      expect(fake.paymentChecks).toHaveLength(1);
      expect(fake.activities.parkingPlusPaymentStatus).toHaveBeenCalledWith({ accountId: expect.any(String), orderId: '42' });
    });
  });

  test('refreshes coalesce, and a look comes no sooner than REFRESH_FLOOR_MS after the previous one; polling stays the backstop', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount(), { polling: slow });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      await handle.executeUpdate(finalizeJourney);
      await env.sleep('1 minute');

      await handle.signal(refreshJourney, { source: 'backend' });
      await eventually(() => fake.paymentChecks.length === 1);
      await handle.signal(refreshJourney, { source: 'backend' }); // right after the look: waits for the floor
      await env.sleep('3 seconds');
      expect(fake.paymentChecks).toHaveLength(2);
      expect(fake.paymentChecks[1]! - fake.paymentChecks[0]!).toBeGreaterThanOrEqual(REFRESH_FLOOR_MS);

      await Promise.all(Array.from({ length: 10 }, () => handle.signal(refreshJourney, { source: 'backend' })));
      await env.sleep('5 seconds');
      const burst = fake.paymentChecks.slice(2);
      expect(burst.length).toBeGreaterThanOrEqual(1);
      expect(burst.length).toBeLessThanOrEqual(2);
      for (let i = 1; i < fake.paymentChecks.length; i += 1) {
        expect(fake.paymentChecks[i]! - fake.paymentChecks[i - 1]!).toBeGreaterThanOrEqual(REFRESH_FLOOR_MS);
      }

      // Without any refresh, the next poll still comes.
      fake.payment = 'confirmed';
      await env.sleep('11 minutes');
      expect((await handle.query(getJourney)).state).toBe('paid');
    });
  });

  test('paid: a refresh makes the journey read the session now (the car left → completed)', async () => {
    const fake = new FakeParkingPlus();
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount(), { polling: slow });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      await handle.executeUpdate(finalizeJourney);
      fake.payment = 'confirmed';
      await handle.signal(refreshJourney, { source: 'return', orderId: '42' });
      await env.sleep('2 seconds');
      expect((await handle.query(getJourney)).state).toBe('paid');
      const reads = fake.activities.readParkingPlusSession.mock.calls.length;

      fake.state = 'closed';
      await env.sleep('1 minute');
      expect(fake.activities.readParkingPlusSession.mock.calls.length).toBe(reads); // the next poll is minutes away
      await handle.signal(refreshJourney, { source: 'backend' });
      await env.sleep('2 seconds');
      expect((await handle.query(getJourney)).state).toBe('completed');
    });
  });

  test('a pay_url naming no order: the journey waits for the return, which names the order it then checks', async () => {
    const fake = new FakeParkingPlus();
    fake.orderInPayUrl = false;
    await withWorker(fake, async () => {
      const { handle } = await startedJourney(await linkedAccount(), { polling: { firstMs: 10_000, maxMs: 60_000 } });
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const finalized = await handle.executeUpdate(finalizeJourney);
      expect(finalized).toMatchObject({ state: 'awaiting_payment', payment: { paymentId: '', status: 'pending' } });
      expect(finalized.payment!.redirectUrl).toMatch(/^https:\/\/parkingplus\.example\/checkout\?from_mobile_v4=true&return_url=/);
      expect(returnUrlOf(finalized.payment!.redirectUrl)).toBe(`https://parkflow.example/v1/returns/parkingplus/${handle.workflowId}`);

      await env.sleep('5 minutes');
      expect(fake.activities.parkingPlusPaymentStatus).not.toHaveBeenCalled(); // no order to ask about yet
      expect((await handle.query(getJourney)).state).toBe('awaiting_payment');

      fake.payment = 'confirmed';
      await handle.signal(refreshJourney, { source: 'return', orderId: '42' });
      await env.sleep('2 seconds');
      expect(await handle.query(getJourney)).toMatchObject({ state: 'paid', payment: { paymentId: '42', status: 'captured' } });
      expect(fake.activities.parkingPlusPaymentStatus).toHaveBeenCalledWith({ accountId: expect.any(String), orderId: '42' });

      // A later return naming another order changes nothing.
      await handle.signal(refreshJourney, { source: 'return', orderId: '43' });
      await env.sleep('2 seconds');
      expect((await handle.query(getJourney)).payment!.paymentId).toBe('42');
    });
  });
});

describe('Parking+Plus journey: an online-only parking (is_online)', () => {
  test('its keys say isOnline and offer no access command, entrance and exit alike', async () => {
    const fake = new FakeParkingPlus();
    fake.online = true;
    await withWorker(fake, async () => {
      const { handle, first } = await startedJourney(await linkedAccount());
      expect(first.keys!.entrance).toMatchObject({ kind: 'entrance', isOnline: true });
      expect(first.keys!.entrance).not.toHaveProperty('accessCommand');
      fake.state = 'active';
      await handle.executeUpdate(enterJourney);
      const finalized = await handle.executeUpdate(finalizeJourney);
      expect(finalized.keys!.exit).toMatchObject({ kind: 'exit', isOnline: true, validUntil: finalized.deadlines.exitBy });
      expect(finalized.keys!.exit).not.toHaveProperty('accessCommand');
    });
  });
});
