import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createLinkcActivities } from '../src/activities/linkc/activities';
import { type LinkcClient } from '../src/activities/linkc/client';
import { linkcJourney } from '../src/workflows';
import { getJourney, payJourney, startJourney, type JourneyView } from '../src/workflows/messages';
import { paymentWorkflowId } from '../src/workflows/payment-messages';
import { FakeLinkcClient, FakePayments } from './support/fake-linkc';
import { timeSkippingEnv, workflowBundle } from './support/temporal';

let env: TestWorkflowEnvironment;
const MINUTE = 60_000;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

async function run<T>(fn: (ctx: { linkc: FakeLinkcClient; payments: FakePayments; start: () => Promise<{ handle: WorkflowHandle<typeof linkcJourney>; first: JourneyView }> }) => Promise<T>): Promise<T> {
  const linkc = new FakeLinkcClient();
  const payments = new FakePayments();
  const taskQueue = `linkc-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...createLinkcActivities({ client: linkc as unknown as LinkcClient }), ...payments.activities },
  });
  const started: string[] = [];
  const start = async () => {
    const workflowId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    started.push(workflowId);
    const operation = new WithStartWorkflowOperation(linkcJourney, {
      workflowId,
      taskQueue,
      args: [{ lookup: { localizador: '1234567890' }, requestHash: 'h', polling: { firstMs: 30_000, maxMs: 60_000 } }],
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
      payments.capture(view.paymentId);
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
      payments.capture(view.paymentId);
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
      payments.capture(first.paymentId);
      await env.sleep(7 * MINUTE);
      const relooked = await handle.query(getJourney);
      expect(relooked).toMatchObject({ state: 'awaiting_payment', amount: { value: '7.50' } });

      linkc.down = false;
      const difference = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      expect(difference.amount!.value).toBe('2.50');
      payments.capture(difference.paymentId);
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
      payments.capture(view.paymentId);
      await env.sleep(2 * MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      expect(linkc.submissions).toEqual([{ id: 'tx-1', outcome: 'registered' }]);
      expect(linkc.paidMinor).toBe(750);
    });
  });

  test('an excess after the new look-up (paid in part at the kiosk) is refunded, the rest registered', async () => {
    await run(async ({ linkc, payments, start }) => {
      linkc.enteredMinutesAgo(90, await env.currentTimeMs());
      const { handle } = await start();
      linkc.down = true;
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId);
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
      const { handle } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      payments.capture(view.paymentId);
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
