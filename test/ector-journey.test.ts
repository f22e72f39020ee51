import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createPaymentAttemptActivities } from '../src/activities/payment-attempts';
import { ectorJourney } from '../src/workflows';
import { type EctorJourneyInput } from '../src/workflows/ector-journey';
import { cancelJourney, getJourney, payJourney, startJourney, type JourneyView } from '../src/workflows/messages';
import { paymentWorkflowId } from '../src/workflows/payment-messages';
import { FakeEctor } from './support/fake-ector';
import { FakePayments } from './support/fake-linkc';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

let env: TestWorkflowEnvironment;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

type Start = (
  services?: Array<'covered_parking' | 'cancellation_insurance'>,
  extra?: Partial<EctorJourneyInput>,
) => Promise<{ handle: WorkflowHandle<typeof ectorJourney>; first: JourneyView; startedAt: number }>;

async function run<T>(fn: (ctx: { ector: FakeEctor; payments: FakePayments; start: Start }) => Promise<T>): Promise<T> {
  const ector = new FakeEctor();
  const payments = new FakePayments();
  const taskQueue = `ector-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: { ...ector.activities, ...payments.activities, ...createPaymentAttemptActivities({ temporal: env.client }) },
  });
  const started: string[] = [];
  const start: Start = async (services = [], extra = {}) => {
    const workflowId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    started.push(workflowId);
    const startedAt = await env.currentTimeMs();
    const booking = {
      zoneId: 'CDG',
      timeZone: 'Europe/Paris',
      startAt: new Date(startedAt + 2 * DAY).toISOString(),
      endAt: new Date(startedAt + 5 * DAY).toISOString(),
      services,
      contact: { firstName: 'Camille', lastName: 'Martin', email: 'camille@example.com', phone: '+33612345678' },
      car: { plate: 'AB-123-CD' },
    };
    const operation = new WithStartWorkflowOperation(ectorJourney, {
      workflowId,
      taskQueue,
      args: [{ booking, requestHash: 'h', polling: { firstMs: 30_000, maxMs: 60_000 }, ...extra }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    const first = await env.client.workflow.executeUpdateWithStart(startJourney, {
      args: [{ requestHash: 'h' }],
      startWorkflowOperation: operation,
    });
    return { handle: await operation.workflowHandle(), first, startedAt };
  };
  return worker.runUntil(async () => {
    try {
      return await fn({ ector, payments, start });
    } finally {
      for (const id of [...started, ...payments.opened.map((o) => paymentWorkflowId(o.orderId))]) {
        await env.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      }
    }
  });
}

const stateOf = async (handle: WorkflowHandle) => (await handle.query(getJourney)).state;
/** Sleeps on the test server's clock until `minutes` after `from`. */
const sleepUntil = async (from: number, minutes: number) => env.sleep(from + minutes * MINUTE - (await env.currentTimeMs()));
const failureOf = (err: unknown) => (err as WorkflowUpdateFailedError).cause as { message: string; type?: string };

describe('Ector journey (time-skipping)', () => {
  test('the start answers the booking with its payment deadline: 60 minutes from before the creation, less the margin', async () => {
    await run(async ({ ector, start }) => {
      const { first, startedAt } = await start(['covered_parking']);
      expect(first).toMatchObject({
        provider: 'ector',
        state: 'awaiting_payment',
        amount: { value: '40.00', currency: 'EUR' },
        plate: 'AB-123-CD',
      });
      expect(first.upstream).toMatchObject({ bookingId: 'B-1', zoneId: 'CDG', services: 'covered_parking', reference: 'B-1' });
      const due = Date.parse(first.deadlines.paymentDueAt!);
      expect(due).toBeGreaterThan(startedAt + 59 * MINUTE);
      expect(due).toBeLessThanOrEqual(ector.bookings.get('B-1')!.createdMs + 60 * MINUTE - 30_000);
      expect(ector.calls).toEqual(['quote', 'create']);
    });
  });

  test('paid at minute 59: Ector is told before its window closes → booked; active at startAt, completed at endAt', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      expect(view).toMatchObject({ status: 'pending', amount: { value: '40.00', currency: 'EUR' } });
      await sleepUntil(startedAt, 59);
      payments.capture(view.paymentId, await env.currentTimeMs());
      await sleepUntil(startedAt, 61);
      const booked = await handle.query(getJourney);
      expect(booked.state).toBe('paid');
      expect(booked.deadlines.paymentDueAt).toBeUndefined();
      expect(ector.statuses).toEqual(['paid']);
      expect(payments.heldMinor()).toBe(4000);

      await env.sleep(2 * DAY);
      expect(await stateOf(handle)).toBe('active');
      const done = await handle.result();
      expect(done.timeline.map((t) => t.state)).toEqual(['awaiting_payment', 'paid', 'active', 'completed']);
      expect(payments.refunds).toEqual([]);
      expect(payments.heldMinor()).toBe(4000);
    });
  });

  test('unpaid at minute 60: expired, the payment link closed, nothing held', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      await sleepUntil(startedAt, 60);
      const expired = await handle.query(getJourney);
      expect(expired).toMatchObject({ state: 'expired', failure: { type: 'PaymentWindowClosed' }, payment: { status: 'expired' } });
      expect(payments.orders.get(view.paymentId)!.state).toBe('declined'); // closed at the processor
      expect(ector.calls).not.toContain('pay');
      expect(payments.heldMinor()).toBe(0);
    });
  });

  test('captured at minute 61, after the deadline: refunded, the journey expired, Ector never told', async () => {
    await run(async ({ ector, payments, start }) => {
      payments.payableForMs = 4 * 60 * MINUTE; // an EPX page takes a card for the TAC's 4 hours, closed or not
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] });
      await sleepUntil(startedAt, 61);
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(10 * MINUTE);
      expect(await stateOf(handle)).toBe('expired');
      expect(payments.refunds).toEqual([{ orderId: view.paymentId, amount: '40.00' }]);
      expect(payments.heldMinor()).toBe(0);
      expect(ector.calls).not.toContain('pay');
      expect(ector.statuses).toEqual(['pending_payment']);
    });
  });

  test("Ector's pay failing transiently near the deadline is retried within it → booked", async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      ector.payFailures = 3;
      await sleepUntil(startedAt, 58);
      payments.capture(view.paymentId, await env.currentTimeMs());
      await sleepUntil(startedAt, 62);
      expect(await stateOf(handle)).toBe('paid');
      expect(ector.calls.filter((c) => c === 'pay')).toHaveLength(4);
      expect(payments.refunds).toEqual([]);
    });
  });

  test('Ector down until its window has passed: compensated — the capture refunded, the journey expired', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      ector.payDownUntil = startedAt + 90 * MINUTE;
      await sleepUntil(startedAt, 59);
      payments.capture(view.paymentId, await env.currentTimeMs());
      await sleepUntil(startedAt, 65);
      const expired = await handle.query(getJourney);
      expect(expired).toMatchObject({ state: 'expired', failure: { type: 'PaymentWindowClosed' } });
      expect(ector.calls.filter((c) => c === 'pay').length).toBeGreaterThan(1);
      expect(ector.calls.at(-1)).toBe('get'); // Ector's own record decided
      expect(payments.refunds).toEqual([{ orderId: view.paymentId, amount: '40.00' }]);
      expect(ector.statuses).toEqual(['pending_payment']);
    });
  });

  test("Ector took the payment but its answer was lost, then it went down: Ector's record says booked — the money is kept", async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, startedAt } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      ector.loseNextPayAnswer = true;
      ector.payDownUntil = startedAt + 90 * MINUTE;
      await sleepUntil(startedAt, 59);
      payments.capture(view.paymentId, await env.currentTimeMs());
      await sleepUntil(startedAt, 65);
      expect(await stateOf(handle)).toBe('paid');
      expect(ector.statuses).toEqual(['paid']);
      expect(payments.refunds).toEqual([]);
      expect(payments.heldMinor()).toBe(4000);
    });
  });

  test('nothing paid and no payment opened: expired at the payment deadline; a pay then finds the journey ended', async () => {
    await run(async ({ payments, start }) => {
      const { handle, first } = await start();
      await env.sleep(Date.parse(first.deadlines.paymentDueAt!) - (await env.currentTimeMs()) + 1_000);
      expect((await handle.result()).state).toBe('expired');
      await expect(handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] })).rejects.toThrow(/not found|completed/i);
      expect(payments.opened).toEqual([]);
    });
  });

  test('EPX cannot take EUR: refused, nothing opened', async () => {
    await run(async ({ payments, start }) => {
      const { handle } = await start([], { processors: { mobilpay: { currencies: ['RON', 'EUR'] }, epx: { currencies: ['USD'] } } });
      const refused = await handle.executeUpdate(payJourney, { args: [{ method: 'epx' }] }).catch((e: unknown) => e);
      expect(failureOf(refused)).toMatchObject({ type: 'CurrencyNotAccepted' });
      expect(payments.opened).toEqual([]);
    });
  });

  test('cancel with cancellation_insurance once booked: cancelled at Ector, then everything refunded', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle, first } = await start(['cancellation_insurance']);
      expect(first.amount).toEqual({ value: '49.90', currency: 'EUR' });
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      expect(await stateOf(handle)).toBe('paid');
      ector.cancelFailures = 1; // a transient failure is retried
      const cancelled = await handle.executeUpdate(cancelJourney, { args: [{ reason: 'flight cancelled' }] });
      expect(cancelled.state).toBe('cancelled');
      expect(ector.statuses).toEqual(['cancelled']);
      await handle.result();
      expect(payments.refunds).toEqual([{ orderId: view.paymentId, amount: '49.90' }]);
      expect(payments.heldMinor()).toBe(0);
    });
  });

  test('cancel without insurance once booked: refused with the reason, nothing asked of Ector, the booking kept', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle } = await start(['covered_parking']);
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      payments.capture(view.paymentId, await env.currentTimeMs());
      await env.sleep(MINUTE);
      const refused = await handle.executeUpdate(cancelJourney, { args: [{}] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(failureOf(refused)).toMatchObject({ type: 'WrongState', message: expect.stringMatching(/no cancellation_insurance/) });
      expect(await stateOf(handle)).toBe('paid');
      expect(ector.calls).not.toContain('cancel');
      expect(payments.refunds).toEqual([]);
    });
  });

  test('cancel before paying: the journey ends, the open payment link is closed, nothing kept', async () => {
    await run(async ({ ector, payments, start }) => {
      const { handle } = await start();
      const view = await handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      const cancelled = await handle.executeUpdate(cancelJourney, { args: [{}] });
      expect(cancelled.state).toBe('cancelled');
      await handle.result();
      await env.sleep(MINUTE); // the attempt's workflow closes its order
      expect(payments.orders.get(view.paymentId)!.state).toBe('declined');
      expect(ector.calls).not.toContain('cancel'); // an unpaid booking needs no cancellation: it cannot be paid any more
      expect(payments.heldMinor()).toBe(0);
    });
  });

  test('cancel while a pay is still opening its order: the order is closed once open, a capture on it refunded', async () => {
    await run(async ({ payments, start }) => {
      const { handle } = await start();
      let release!: () => void;
      payments.openGate = new Promise<void>((resolve) => (release = resolve));
      const paying = handle.executeUpdate(payJourney, { args: [{ method: 'mobilpay' }] });
      await env.sleep(1_000);
      const cancelled = await handle.executeUpdate(cancelJourney, { args: [{}] });
      expect(cancelled.state).toBe('cancelled');
      release();
      const view = await paying;
      payments.capture(view.paymentId, await env.currentTimeMs()); // the driver pays on the page that did open
      await handle.result();
      await env.sleep(5 * MINUTE);
      expect(payments.heldMinor()).toBe(0);
    });
  });

  test('a quote without room fails the start: no booking is created', async () => {
    await run(async ({ ector, start }) => {
      ector.available = false;
      const refused = await start().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(failureOf(refused).message).toMatch(/has no room/);
      expect(ector.calls).toEqual(['quote']);
    });
  });
});
