import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createLinkcActivities } from '../src/activities/linkc/activities';
import { createPaymentAttemptActivities } from '../src/activities/payment-attempts';
import { type LinkcClient } from '../src/activities/linkc/client';
import { linkcJourney } from '../src/workflows';
import { type LinkcJourneyInput } from '../src/workflows/linkc-journey';
import { cancelJourney, getJourney, payJourney, REFRESH_FLOOR_MS, refreshJourney, startJourney, type JourneyView } from '../src/workflows/messages';
import { paymentNotified, paymentWorkflowId } from '../src/workflows/payment-messages';
import { FakeLinkcClient, FakePayments } from './support/fake-linkc';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

let env: TestWorkflowEnvironment;
const MINUTE = 60_000;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

type Start = (input?: Partial<LinkcJourneyInput>) => Promise<{ handle: WorkflowHandle<typeof linkcJourney>; first: JourneyView }>;

async function run<T>(fn: (ctx: { linkc: FakeLinkcClient; payments: FakePayments; start: Start }) => Promise<T>): Promise<T> {
  const linkc = new FakeLinkcClient();
  const payments = new FakePayments();
  const taskQueue = `linkc-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: { ...createLinkcActivities({ client: linkc as unknown as LinkcClient }), ...payments.activities, ...createPaymentAttemptActivities({ temporal: env.client }) },
  });
  const started: string[] = [];
  const start: Start = async (extra = {}) => {
    const workflowId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    started.push(workflowId);
    const operation = new WithStartWorkflowOperation(linkcJourney, {
      workflowId,
      taskQueue,
      args: [{ lookup: { localizador: '1234567890' }, requestHash: 'h', polling: { firstMs: 30_000, maxMs: 60_000 }, ...extra }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    const first = await env.client.workflow.executeUpdateWithStart(startJourney, { args: [{ requestHash: 'h' }], startWorkflowOperation: operation });
    return { handle: await operation.workflowHandle(), first };
  };
  return worker.runUntil(async () => {
    try {
      return await fn({ linkc, payments, start });
    } finally {
      // A workflow left running would hold the test server's clock once this worker is gone.
      for (const id of [...started, ...payments.opened.map((o) => paymentWorkflowId(o.orderId))]) {
        await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      }
    }
  });
}

const stateOf = async (handle: WorkflowHandle) => (await handle.query(getJourney)).state;

describe('LinkC journey (time-skipping)', () => {
  test('paid within the validity window: captured, registered once, then the car leaves', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle, first } = await start();
      expect(first).toMatchObject({ provider: 'linkc', state: 'awaiting_payment', amount: { value: '7.50', currency: 'BRL' }, upstream: { localizador: '1234567890' } });
      expect(first.deadlines.transactionValidUntil).toBeDefined();

      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      expect(view).toMatchObject({ status: 'pending', redirectUrl: expect.stringContaining('pay.example'), amount: { value: '7.50' } });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      const paid = await handle.query(getJourney);
      expect(paid.state).toBe('paid');
      expect(paid.deadlines.exitBy).toBeDefined();
      expect(linkc.submissions).toEqual([{ id: 'tx-1', outcome: 'registered' }]);

      linkc.inYard = false;
      const done = await handle.result();
      expect(done.timeline.map((t) => t.state)).toEqual(['active', 'awaiting_payment', 'paid', 'completed']);
      expect(payments.refunds).toEqual([]);
    });
  });

  test('once LinkC accepts the registration the stay is looked up at once: paid without waiting for a poll or the refresh floor', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start(); // polling every 30 s, and no refresh comes
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.client.workflow.getHandle(paymentWorkflowId(view.paymentId)).signal(paymentNotified); // the processor's notification
      await env.sleep(MINUTE);
      const paid = await handle.query(getJourney);
      expect(paid.state).toBe('paid');
      const events = (await handle.fetchHistory()).events!;
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'registerLinkcPayment')!;
      const registered = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
      const registeredAt = Number(registered.eventTime!.seconds) * 1000 + Math.floor((registered.eventTime!.nanos ?? 0) / 1e6);
      const paidAt = Date.parse(paid.timeline.find((t) => t.state === 'paid')!.at);
      expect(paidAt - registeredAt).toBeLessThan(REFRESH_FLOOR_MS); // before: the next poll, 30 s later
    });
  });

  test('the window lapses before payment: looked up again with a higher amount, paid, registered', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(58, await env.currentTimeMs()); // R$ 5,00 now, R$ 7,50 after the hour
      const { handle, first } = await start();
      expect(first.amount!.value).toBe('5.00');
      await env.sleep(6 * MINUTE); // the 5-minute transaction id lapses unused
      const again = await handle.query(getJourney);
      expect(again).toMatchObject({ state: 'awaiting_payment', amount: { value: '7.50' } });
      expect(again.deadlines.transactionValidUntil).not.toBe(first.deadlines.transactionValidUntil);

      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      expect(view.amount!.value).toBe('7.50');
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(linkc.submissions).toEqual([{ id: 'tx-2', outcome: 'registered' }]);
    });
  });

  test('captured but not registered before the id expires: looked up again, the difference charged, registered — the expired id never submitted', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(57, await env.currentTimeMs());
      const { handle } = await start();
      linkc.down = true; // LinkC's payment endpoint is down for a while
      const first = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(first.paymentId, await env.currentTimeMs());
      await env.sleep(7 * MINUTE);
      const relooked = await handle.query(getJourney);
      expect(relooked).toMatchObject({ state: 'awaiting_payment', amount: { value: '7.50' } });

      linkc.down = false;
      const difference = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      expect(difference.amount!.value).toBe('2.50');
      payments.capture(difference.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(payments.opened.map((o) => o.amount)).toEqual(['5.00', '2.50']);
      expect(linkc.submissions).toEqual([{ id: 'tx-2', outcome: 'registered' }]);
      expect(linkc.submissions.some((s) => s.outcome === 'expired')).toBe(false);
      expect(linkc.paidMinor).toBe(750);
    });
  });

  test('a registration that fails transiently, or whose answer is lost, is retried and registered once', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.transientFailures = 2;
      linkc.loseNextAnswer = true;
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(2 * MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      // The retry after the lost answer submits the same id: LinkC says it is used, so it was ours.
      expect(linkc.submissions).toEqual([
        { id: 'tx-1', outcome: 'registered' },
        { id: 'tx-1', outcome: 'reused' },
      ]);
      expect(linkc.paidMinor).toBe(750);
      expect(payments.refunds).toEqual([]);
    });
  });

  test('an excess after the new look-up (paid in part at the kiosk) is refunded, the rest registered', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.down = true;
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      linkc.paidMinor += 250; // the driver also paid R$ 2,50 at the kiosk
      linkc.down = false;
      await env.sleep(6 * MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(payments.refunds).toEqual([{ orderId: view.paymentId, amount: '2.50' }]);
      expect(linkc.submissions).toEqual([
        { id: 'tx-1', outcome: 'stale' },
        { id: 'tx-2', outcome: 'registered' },
      ]);
      expect(linkc.paidMinor).toBe(750);
    });
  });

  test('an overstay: after the exit window the stay is looked up again and a new amount is due', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(50, await env.currentTimeMs());
      // Exit allowed until the payment + 15 minutes (not 15 minutes after each look-up: the journey waits out an exit-by LinkC gave).
      linkc.exitToleranceMs = 15 * MINUTE;
      const { handle } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      await env.sleep(20 * MINUTE); // still in the yard past exitBy, into a new hour
      const again = await handle.query(getJourney);
      expect(again).toMatchObject({ state: 'awaiting_payment', amount: { value: '2.50' } });
    });
  });

  test('nothing due: exit allowed until validade, then completed', async () => {
    await run(async ({ linkc, start }) => {
      linkc.enteredMinutesAgo(5, await env.currentTimeMs());
      const { handle, first } = await start();
      expect(first).toMatchObject({ state: 'paid', amount: { value: '0.00' } });
      expect(first.deadlines.transactionValidUntil).toBeUndefined();
      expect(Date.parse(first.deadlines.exitBy!)).toBeGreaterThan(await env.currentTimeMs());
      linkc.inYard = false;
      expect((await handle.result()).state).toBe('completed');
      expect(linkc.submissions).toEqual([]);
    });
  });
});

// The money findings of the payment-collection issue, one test each (each failed before the fix).
describe('LinkC journey money (time-skipping)', () => {
  test('cancel only while the driver can still be charged nothing: not with a payment open, not once paid', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const unpaid = await start();
      expect((await unpaid.handle.executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');

      const paying = await start();
      const view = await paying.handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      await expect(paying.handle.executeUpdate(cancelJourney, { args: [{}] })).rejects.toMatchObject({ cause: { message: expect.stringMatching(/payment is under way or made/) } });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(paying.handle)).toBe('paid');
      await expect(paying.handle.executeUpdate(cancelJourney, { args: [{}] })).rejects.toMatchObject({ cause: { message: expect.stringMatching(/allowed when awaiting_payment\)/) } });
      expect(payments.refunds).toEqual([]);
    });
  });

  test('two pays at once, or 100 ms apart, open one order; another method meanwhile is refused', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      const pay = (method: 'mobilpay' | 'epx') => handle.executeUpdate(payJourney, { args: [{ method }] });
      const [a, b] = await Promise.all([pay('mobilpay'), pay('mobilpay')]);
      const c = await pay('mobilpay');
      expect(new Set([a.paymentId, b.paymentId, c.paymentId]).size).toBe(1);
      const refused = await pay('epx').catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/mobilpay payment .* is under way/);
      expect(payments.opened.map((o) => o.orderId)).toEqual([a.paymentId]);

      payments.capture(a.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(payments.heldMinor()).toBe(750);
      expect(linkc.paidMinor).toBe(750);
    });
  });

  test('a registration whose answer is lost, then LinkC down past the window: booked money is kept, not refunded', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.loseNextAnswer = true;
      linkc.outageAfterLostAnswer = true;
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(7 * MINUTE); // the 5-minute id lapses while LinkC answers nothing
      linkc.outage = false;
      await env.sleep(2 * MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(linkc.paidMinor).toBe(750);
      expect(payments.refunds).toEqual([]);
      expect(payments.heldMinor()).toBe(750);
    });
  });

  test('a processor that cannot take BRL is refused with CurrencyNotAccepted before any order is opened', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start({ processors: { mobilpay: { currencies: ['RON', 'BRL'] }, epx: { currencies: ['USD'] } } });
      const refused = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'CurrencyNotAccepted' });
      expect(payments.opened).toEqual([]);
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      expect(view.amount).toEqual({ value: '7.50', currency: 'BRL' });
    });
  });

  test('an OSA stay with money due is never shown paid: the start is refused, the journey failed NotPayableHere', async () => {
    await run(async ({ linkc, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      linkc.osa = true;
      const refused = await start().catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'NotPayableHere' });
    });
  });

  test('an OSA stay paid at the garage: exit allowed until validade, then failed NotPayableHere — no busy loop', async () => {
    await run(async ({ linkc, start }) => {
      const now = await env.currentTimeMs();
      linkc.enteredMinutesAgo(90, now);
      linkc.osa = true;
      linkc.osaPaidUntilMs = now + 2 * MINUTE;
      const { handle, first } = await start();
      expect(first).toMatchObject({ state: 'paid' });
      expect(first.amount).toBeUndefined();
      await env.sleep(15 * MINUTE); // still in the yard, validade long past
      const view = await handle.query(getJourney);
      expect(view.state).toBe('failed');
      expect(view.failure).toMatchObject({ type: 'NotPayableHere' });
      const history = await handle.fetchHistory();
      expect(history.events!.length).toBeLessThan(100);
    });
  });

  test('an unpaid stay waiting for hours continues as new, keeps its story, and can still be paid', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(20, await env.currentTimeMs());
      const { handle, first } = await start({ historyLimit: 150 });
      const firstRun = (await handle.describe()).runId;
      await env.sleep(3 * 60 * MINUTE); // a new transaction every 5 minutes: ~36 look-ups
      const latest = env.client.workflow.getHandle(first.id);
      expect((await latest.describe()).runId).not.toBe(firstRun);
      expect((await latest.fetchHistory()).events!.length).toBeLessThan(200);
      const view = await handle.query(getJourney);
      expect(view.state).toBe('awaiting_payment');
      expect(view.timeline[0]).toEqual(first.timeline[0]);
      const pay = await latest.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(pay.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(latest)).toBe('paid');
      expect(linkc.paidMinor).toBe(payments.heldMinor());
    });
  });

  test('the car leaves while a registration is unanswered: the garage had it paid, so the money is kept', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.loseNextAnswer = true;
      linkc.outageAfterLostAnswer = true;
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(7 * MINUTE);
      linkc.inYard = false; // the barrier opened: LinkC had the stay paid
      linkc.outage = false;
      expect((await handle.result()).state).toBe('completed');
      expect(payments.refunds).toEqual([]);
      expect(payments.heldMinor()).toBe(linkc.paidMinor);
    });
  });

  test('a pay once the transaction id has lapsed (the look-up not back yet) is refused, not charged then refunded', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.outage = true;
      await env.sleep(6 * MINUTE);
      const refused = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] }).catch((err: unknown) => err);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'WrongState' });
      expect(payments.opened).toEqual([]);
      linkc.outage = false;
      await env.sleep(MINUTE);
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      expect(view.status).toBe('pending');
    });
  });

  // Found by the journey-money property (test/journey-money-property.test.ts).
  test('a pay right after the registration, before the stay is looked up again, is refused: nothing is charged twice', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.paidMinor += 250; // the kiosk: our first registration is stale, the stay is looked up again just before the second
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      while (!linkc.submissions.some((s) => s.outcome === 'registered')) await env.sleep(1_000);
      const again = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] }).catch((err: unknown) => err);
      expect((again as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'WrongState' });
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(payments.opened).toHaveLength(1);
      expect(payments.heldMinor()).toBe(linkc.paidMinor - 250); // kept = what LinkC booked from us
    });
  });
});

describe('LinkC journey: exit tolerance and refresh (time-skipping)', () => {
  // Failed before the fix: at the hour boundary (minute 60) the journey went back to awaiting_payment 2.50.
  test('paid just before the hour: the journey stays paid until the exit-by LinkC gave after the payment, then the next hour is due', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(57, await env.currentTimeMs());
      linkc.exitToleranceMs = 15 * MINUTE;
      linkc.freeWithinTolerance = false; // LinkC shows the next hour before the exit-by it gave (as the simulator did)
      const { handle } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      const paid = await handle.query(getJourney);
      expect(paid).toMatchObject({ state: 'paid', amount: { value: '0.00' } });
      const exitBy = Date.parse(paid.deadlines.exitBy!);
      expect(exitBy - (await env.currentTimeMs())).toBeGreaterThan(12 * MINUTE);

      await env.sleep(5 * MINUTE); // minute ~63: past the hour, looked up several times, within the tolerance
      const tolerated = await handle.query(getJourney);
      expect(tolerated).toMatchObject({ state: 'paid', amount: { value: '0.00' } });
      expect(Date.parse(tolerated.deadlines.exitBy!)).toBe(exitBy);
      expect(tolerated.deadlines.transactionValidUntil).toBeUndefined();

      await env.sleep(exitBy - (await env.currentTimeMs()) + 2 * MINUTE); // past the exit-by: an overstay
      expect(await handle.query(getJourney)).toMatchObject({ state: 'awaiting_payment', amount: { value: '2.50' } });
      expect(linkc.paidMinor).toBe(500);
    });
  });

  test("the simulator's kind of garage (nothing due within the tolerance): paid until it ends, then the next hour", async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(57, await env.currentTimeMs());
      linkc.exitToleranceMs = 15 * MINUTE;
      const { handle } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(6 * MINUTE);
      expect(await handle.query(getJourney)).toMatchObject({ state: 'paid', amount: { value: '0.00' } });
      await env.sleep(12 * MINUTE);
      expect(await handle.query(getJourney)).toMatchObject({ state: 'awaiting_payment', amount: { value: '2.50' } });
    });
  });

  // Failed before the fix: the journey noticed the car leaving only at its next poll, 10 minutes on.
  test('a refresh looks the stay up now instead of at the next poll: the car left, completed within a second or two', async () => {
    await run(async ({ linkc, start }) => {
      linkc.enteredMinutesAgo(5, await env.currentTimeMs()); // nothing due: paid, watching the exit
      const { handle, first } = await start({ polling: { firstMs: 10 * MINUTE, maxMs: 20 * MINUTE } });
      expect(first.state).toBe('paid');
      await env.sleep(2 * MINUTE);
      const lookups = linkc.lookups;
      linkc.inYard = false;
      const asked = await env.currentTimeMs();
      await handle.signal(refreshJourney, { source: 'backend' });
      const done = await handle.result();
      expect(done.state).toBe('completed');
      expect(Date.parse(done.timeline.at(-1)!.at) - asked).toBeLessThanOrEqual(2_000);
      expect(linkc.lookups).toBe(lookups + 1);
    });
  });

  test('two refreshes 100 ms apart (just after a look-up) are one look-up, not sooner than the floor; the changed stay is seen', async () => {
    await run(async ({ linkc, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle, first } = await start({ polling: { firstMs: 10 * MINUTE, maxMs: 20 * MINUTE } });
      expect(first).toMatchObject({ state: 'awaiting_payment', amount: { value: '7.50' } });
      const lookups = linkc.lookups;
      linkc.paidMinor = 750; // paid at the garage's kiosk
      const asked = await env.currentTimeMs();
      await handle.signal(refreshJourney, { source: 'return' });
      await env.sleep(100);
      await handle.signal(refreshJourney, { source: 'backend' });
      await env.sleep(3_000);
      const view = await handle.query(getJourney);
      expect(view).toMatchObject({ state: 'paid', amount: { value: '0.00' } });
      const seenAt = Date.parse(view.timeline.at(-1)!.at);
      expect(seenAt - Date.parse(first.timeline.at(-1)!.at)).toBeGreaterThanOrEqual(1_000); // the floor after the start's look-up
      expect(seenAt - asked).toBeLessThanOrEqual(2_000);
      expect(linkc.lookups).toBe(lookups + 1);
    });
  });

  // Failed before the fix (a chaos run): a refresh while the driver paid looked the stay up again; the hour had
  // turned, so the new id asked 7.50 and the 5.00 captured needed a second charge of 2.50.
  test('a refresh while the driver pays the quoted amount keeps the quote: one charge, registered with the quoted id', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(59, await env.currentTimeMs());
      linkc.exitToleranceMs = 15 * MINUTE; // the simulator's garage: a registered id settles the stay as priced when quoted
      const { handle, first } = await start({ polling: { firstMs: 10 * MINUTE, maxMs: 20 * MINUTE } });
      expect(first).toMatchObject({ state: 'awaiting_payment', amount: { value: '5.00' } });
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      await env.sleep(2 * MINUTE); // the hour turns while the driver types the card
      const lookups = linkc.lookups;
      await handle.signal(refreshJourney, { source: 'backend' });
      await env.sleep(3_000);
      expect(linkc.lookups).toBe(lookups);
      expect(await handle.query(getJourney)).toMatchObject({ state: 'awaiting_payment', amount: { value: '5.00' } });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await handle.signal(refreshJourney, { source: 'return' }); // the driver is back: the payment is read now
      await env.sleep(5_000); // registered at once; the refresh kept for after it looks the stay up: nothing due
      expect(await handle.query(getJourney)).toMatchObject({ state: 'paid' });
      expect(linkc.paidMinor).toBe(500);
      expect(payments.opened).toHaveLength(1);
      expect(linkc.submissions.map((x) => x.outcome)).toEqual(['registered']);
    });
  });

  test('a refresh on an ended journey does nothing', async () => {
    await run(async ({ linkc, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start({ polling: { firstMs: 10 * MINUTE, maxMs: 20 * MINUTE } });
      await handle.executeUpdate(cancelJourney, { args: [{}] });
      expect((await handle.result()).state).toBe('cancelled');
      const lookups = linkc.lookups;
      await handle.signal(refreshJourney, { source: 'backend' }).catch(() => undefined); // closed: refused or ignored
      await env.sleep(5_000);
      expect(linkc.lookups).toBe(lookups);
    });
  });
});
