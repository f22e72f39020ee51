import { randomUUID } from 'node:crypto';
import { formatRuns, lastRuns } from '../../scripts/reconciliation';
import { mobilPayClient } from '../../src/activities';
import { toMinorUnits } from '../../src/domain/money';
import { type ReconciliationReport } from '../../src/reconciliation/compare';
import { dayBounds } from '../../src/reconciliation/day';
import { reconciliation } from '../../src/workflows';
import { RECONCILIATION_SCHEDULE_ID, reconciliationWorkflowId } from '../../src/workflows/reconciliation-messages';
import { payOnHostedPage } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';

// The nightly reconciliation against the whole stack: Ector journeys paid through MobilPay, then
// books planted out of line at the simulators — a capture for an order no attempt holds, a capture
// of a declined attempt superseded by the one kept, a booking Ector no longer shows paid.

let stack: Stack;
const DAY = 24 * 3600_000;
const APPROVED = '9900004810225098';
const DECLINED = '9900541631437790';
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await startStack();
  await eventually(async () => ((await stack.api('/v1/ector/zones')).status === 200 ? true : undefined), 30_000, 'the zone cache');
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const localIn = (days: number, time = '10:00:00') => `${new Date(Date.now() + days * DAY).toISOString().slice(0, 10)}T${time}`;
const journeyOf = async (id: string) => (await stack.api(`/v1/journeys/${id}`)).body;

/** An Ector booking paid through MobilPay; `declineFirst`: a first attempt declined, the second one paid. */
async function paidJourney(declineFirst = false): Promise<{ id: string; bookingId: string; amount: { value: string; currency: string } }> {
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: {
      provider: 'ector',
      zoneId: 'CDG',
      startAt: localIn(2),
      endAt: localIn(5, '18:30:00'),
      services: [],
      contact: { firstName: 'Camille', lastName: 'Martin', email: 'camille@example.com', phone: '06 12 34 56 78' },
      car: { plate: 'AB-123-CD' },
    },
  });
  expect(started.status).toBe(201);
  const id: string = started.body.id;
  if (declineFirst) {
    const first = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    await payOnHostedPage(stack, first.body, DECLINED);
    await eventually(async () => ((await journeyOf(id)).payment?.status === 'declined' ? true : undefined), 15_000, 'the decline');
  }
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
  expect(pay.status).toBe(200);
  await payOnHostedPage(stack, pay.body, APPROVED);
  await eventually(async () => ((await journeyOf(id)).state === 'paid' ? true : undefined), 20_000, 'paid');
  return { id, bookingId: started.body.upstream.bookingId, amount: started.body.amount };
}

/** Visibility lags the journeys: wait until the day's listing shows them all. */
async function listed(ids: string[]): Promise<void> {
  const { start, end } = dayBounds(today);
  await eventually(
    async () => {
      const found = new Set<string>();
      const query = `JourneyProvider = 'ector' AND StartTime < '${end}' AND (ExecutionStatus = 'Running' OR CloseTime >= '${start}')`;
      for await (const run of stack.env.client.workflow.list({ query })) found.add(run.workflowId);
      return ids.every((id) => found.has(id)) ? true : undefined;
    },
    15_000,
    'the journeys listed',
  );
}

const reconcile = (): Promise<ReconciliationReport> =>
  stack.env.client.workflow.execute(reconciliation, {
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    workflowId: `${reconciliationWorkflowId(today)}-${randomUUID()}`,
    args: [{ day: today }],
  });

/** MobilPay captures money for an order parkflow never opened an attempt for (a real order, paid on its page). */
async function captureAtMobilPay(orderId: string, amount: { value: string; currency: string }): Promise<void> {
  const opened = await mobilPayClient(stack.config).startOrder({
    orderId,
    amount,
    description: 'planted',
    notifyUrl: 'http://127.0.0.1:9/nobody-listens',
    redirectUrl: 'http://127.0.0.1:9/nobody-listens',
  });
  expect(stack.mobilPay.payWithCard(opened.processorRef, APPROVED, '111')?.status).toBe(3);
}

describe('nightly reconciliation', () => {
  let clean: Awaited<ReturnType<typeof paidJourney>>;
  let unbooked: Awaited<ReturnType<typeof paidJourney>>;
  let superseded: Awaited<ReturnType<typeof paidJourney>>;

  test('clean books: every journey checked, nothing reported', async () => {
    clean = await paidJourney();
    unbooked = await paidJourney();
    superseded = await paidJourney(true);
    await listed([clean.id, unbooked.id, superseded.id]);
    const report = await reconcile();
    expect(report.differences).toEqual([]);
    expect(report).toMatchObject({ day: today, timeZone: 'UTC', compensated: 0, unlisted: 0 });
    expect(report.checked).toMatchObject({ journeys: 3, bookings: 3 });
    // Three captures and the declined attempt, at MobilPay.
    expect(report.processors.mobilpay.orders).toBe(4);
    const paid = [clean, unbooked, superseded].reduce((sum, j) => sum + toMinorUnits(j.amount.value), 0);
    expect(report.processors.mobilpay.capturedMinor).toEqual({ EUR: paid });
  }, 120_000);

  test('a planted orphan capture and a planted missing booking are found; a superseded attempt’s capture is refunded', async () => {
    // An order of the clean journey no attempt of it opened.
    await captureAtMobilPay(`${clean.id}.2`, clean.amount);
    // Ector no longer shows the second journey's booking paid.
    stack.ector.bookings.get(unbooked.bookingId)!.status = 'pending_payment';
    // The declined first attempt of the third journey takes a card after all (its page let the driver retry).
    const declined = stack.mobilPay.orders.get(`${superseded.id}.1`)!;
    declined.status = 1;
    expect(stack.mobilPay.payWithCard(declined.ntpID, APPROVED, '111')?.status).toBe(3);
    expect(stack.mobilPay.ledger.heldByOrder()[`${superseded.id}.1`]?.heldMinor).toBe(toMinorUnits(superseded.amount.value));

    const report = await reconcile();
    const byJourney = (id: string) => report.differences.filter((d) => d.journeyId === id);
    expect(byJourney(clean.id)).toEqual([
      expect.objectContaining({ kind: 'orphan-capture', order: `${clean.id}.2`, processor: 'mobilpay', found: clean.amount }),
    ]);
    expect(byJourney(clean.id)[0]!.compensated).toBeUndefined();
    expect(byJourney(unbooked.id)).toEqual([
      expect.objectContaining({ kind: 'capture-without-booking', processor: 'mobilpay', found: unbooked.amount }),
    ]);
    expect(byJourney(superseded.id)).toEqual([
      expect.objectContaining({ kind: 'orphan-capture', order: `${superseded.id}.1`, compensable: true, compensated: true }),
    ]);
    expect(report.byKind).toMatchObject({ 'orphan-capture': 2, 'capture-without-booking': 1, 'missing-refund': 0 });
    expect(report.compensated).toBe(1);
    // Refunded at MobilPay; the orphan with no attempt is left for a person to decide.
    expect(stack.mobilPay.ledger.heldByOrder()[`${superseded.id}.1`]?.heldMinor).toBe(0);
    expect(stack.mobilPay.ledger.heldByOrder()[`${clean.id}.2`]?.heldMinor).toBe(toMinorUnits(clean.amount.value));

    // The next run finds the refund made: only what is left for a person.
    const again = await reconcile();
    expect(again.byKind).toMatchObject({ 'orphan-capture': 1, 'capture-without-booking': 1 });
    expect(again.compensated).toBe(0);
  }, 120_000);

  test('the worker created the nightly Schedule: 03:00 UTC, no overlap, a missed night caught up within a day', async () => {
    const description = await stack.env.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe();
    expect(description.action).toMatchObject({ workflowType: 'reconciliation', taskQueue: stack.config.TEMPORAL_TASK_QUEUE });
    expect(description.spec.timezone).toBe('UTC');
    expect(description.info.nextActionTimes[0]!.toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(description.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: DAY });
  });

  test('the report command lists the runs, newest first', async () => {
    const rows = await lastRuns(stack.env.client, 10);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows[0]!.report?.byKind['orphan-capture']).toBe(1);
    const table = formatRuns(rows).split('\n');
    expect(table[0]).toMatch(/^day\s+status\s+journeys\s+orders\s+orphan/);
    expect(table.slice(1).every((line) => line.startsWith(`${today}  completed`))).toBe(true);
  });
});
