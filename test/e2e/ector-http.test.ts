import { type HistoryAndWorkflowId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { toMinorUnits } from '../../src/domain/money';
import { payOnHostedPage } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// Whole Ector journeys through HTTP against the dev server, with Ector's payment window set to
// 30 seconds (in the simulator and in parkflow's configuration), so the expiry path runs for real.

let stack: Stack;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  stack = await startStack({}, { ectorPaymentWindowSeconds: 30 });
  // The zones come from the Schedule's first refresh, triggered as the worker starts.
  await eventually(async () => ((await stack.api('/v1/ector/zones')).status === 200 ? true : undefined), 30_000, 'the zone cache');
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

/** A local wall-clock time (no offset), `days` from now: the zone's own time. */
const localIn = (days: number, time = '10:00:00') => `${new Date(Date.now() + days * DAY).toISOString().slice(0, 10)}T${time}`;
const bookingBody = (extra: Record<string, unknown> = {}) => ({
  provider: 'ector',
  zoneId: 'CDG',
  startAt: localIn(2),
  endAt: localIn(5, '18:30:00'),
  services: ['covered_parking', 'cancellation_insurance'],
  contact: { firstName: 'Camille', lastName: 'Martin', email: 'camille@example.com', phone: '06 12 34 56 78' },
  car: { plate: 'AB-123-CD', brand: 'Renault' },
  ...extra,
});
const book = (extra: Record<string, unknown> = {}, key: string = randomUUID()) =>
  stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body: bookingBody(extra) });
const stateIs = (id: string, state: string, timeoutMs = 20_000) =>
  eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === state ? true : undefined), timeoutMs, state);
const bookingsOf = (journeyId: string) => [...stack.ector.bookings.values()].filter((b) => b.partnerReference === journeyId);

describe('Ector journey through HTTP (30-second payment window)', () => {
  test('book, pay on the hosted page, marked paid at Ector; insured, so cancelled at Ector and refunded', async () => {
    const before = Date.now();
    const started = await book();
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ provider: 'ector', state: 'awaiting_payment', plate: 'AB-123-CD', amount: { currency: 'EUR' } });
    const id = started.body.id;
    const due = Date.parse(started.body.deadlines.paymentDueAt);
    expect(due).toBeGreaterThan(before + 20_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 30_000 - 3_000);
    // Ector has the booking, with our reference, the phone in E.164 and the times in Paris time.
    const [booking] = bookingsOf(id);
    expect(bookingsOf(id)).toHaveLength(1);
    expect(started.body.upstream).toMatchObject({ bookingId: booking!.id, zoneId: 'CDG', services: 'covered_parking,cancellation_insurance' });
    expect(started.body.upstream.startAt).toMatch(/T10:00:00\+0[12]:00$/);
    expect(stack.ector.contacts.get(booking!.contactId)!.phone).toBe('+33612345678');

    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    expect(pay.body).toMatchObject({ status: 'pending', method: 'mobilpay', amount: started.body.amount });
    await payOnHostedPage(stack, pay.body, '9900004810225098');
    await stateIs(id, 'paid');
    expect(stack.ector.bookings.get(booking!.id)!.status).toBe('paid');
    expect(stack.mobilPay.ledger.heldByJourney()[id]).toEqual({ EUR: toMinorUnits(started.body.amount.value) });

    const cancelled = await stack.api(`/v1/journeys/${id}/cancel`, { body: { reason: 'flight cancelled' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(stack.ector.bookings.get(booking!.id)!.status).toBe('cancelled');
    await eventually(async () => (stack.mobilPay.ledger.heldByJourney()[id]?.EUR === 0 ? true : undefined), 15_000, 'the refund');
  });

  test('the same Idempotency-Key books once; another body with it is 422', async () => {
    const key = randomUUID();
    const first = await book({}, key);
    const again = await book({}, key);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.upstream.bookingId).toBe(first.body.upstream.bookingId);
    expect(bookingsOf(first.body.id)).toHaveLength(1);
    const other = await book({ zoneId: 'ORY' }, key);
    expect(other.status).toBe(422);
  });

  test('a booking that cannot be made as asked is 422 naming the field, and nothing reaches Ector', async () => {
    const count = stack.ector.bookings.size;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ contact: { ...bookingBody().contact, phone: '06 12' } }, 'contact.phone'],
      [{ startAt: new Date(Date.now() - 3_600_000).toISOString() }, 'startAt'],
      [{ startAt: localIn(6), endAt: localIn(5) }, 'endAt'],
      [{ zoneId: 'XYZ' }, 'zoneId'],
      [{ startAt: '2027-03-28T02:30:00', endAt: '2027-03-30T10:00:00' }, 'startAt'], // clocks go forward in Paris
      [{ zoneId: 'NCE' }, 'services'], // Nice has no covered parking
    ];
    for (const [extra, field] of cases) {
      const refused = await book(extra);
      expect({ field, status: refused.status, type: refused.type }).toEqual({ field, status: 422, type: expect.stringContaining('application/problem+json') });
      expect(refused.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(stack.ector.bookings.size).toBe(count);
  });

  test("a local time is the zone's own: La Réunion's is +04:00 all year", async () => {
    const started = await book({ zoneId: 'RUN', services: [] });
    expect(started.status).toBe(201);
    expect(started.body.upstream.startAt).toBe(`${localIn(2)}+04:00`);
  });

  test('unpaid by the payment deadline: expired, the payment link closed, nothing kept', async () => {
    const started = await book({ services: [] });
    const id = started.body.id;
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    expect(pay.status).toBe(200);
    await stateIs(id, 'expired', 45_000);
    const expired = (await stack.api(`/v1/journeys/${id}`)).body;
    expect(expired).toMatchObject({ failure: { type: 'PaymentWindowClosed' } });
    await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.payment?.status === 'expired' ? true : undefined));
    expect(stack.mobilPay.ledger.heldByJourney()[id]).toBeUndefined();
    expect(stack.ector.bookings.get(started.body.upstream.bookingId)!.status).toBe('pending_payment');
    const late = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    expect(late.status).toBe(409);
  }, 60_000);

  test('without cancellation_insurance a booked journey cannot be cancelled (409 saying why); Ector journeys take no enter step', async () => {
    const started = await book({ services: ['covered_parking'] });
    const id = started.body.id;
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    await payOnHostedPage(stack, pay.body, '9900004810225098');
    await stateIs(id, 'paid');
    const refused = await stack.api(`/v1/journeys/${id}/cancel`, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/no cancellation_insurance/);
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('paid');
    const enter = await stack.api(`/v1/journeys/${id}/enter`, { body: {} });
    expect(enter.status).toBe(409);
    expect(enter.body.detail).toMatch(/its steps are: pay, cancel/);
  });

  test('EPX settles USD only: a EUR booking is refused before any order', async () => {
    const started = await book({ services: [] });
    const refused = await stack.api(`/v1/journeys/${started.body.id}/pay`, { body: { method: 'epx' } });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/currency-not-accepted/);
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});

test('the histories of this run replay cleanly', async () => {
  const histories: HistoryAndWorkflowId[] = [];
  for await (const item of stack.service.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories()) histories.push(item);
  expect(histories.filter((h) => h.workflowId.startsWith('journey-')).length).toBeGreaterThanOrEqual(5);
  for await (const result of Worker.runReplayHistories(await replayOptions(), histories)) {
    expect({ workflowId: result.workflowId, error: result.error?.message }).toEqual({ workflowId: result.workflowId, error: undefined });
  }
});
