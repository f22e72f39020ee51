import { randomUUID } from 'node:crypto';
import { payOnHostedPage } from '../support/payments';
import { OTHER_API_KEY, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// A driver back from a hosted page makes the journey look now: the journey is `paid` within 2 s
// of the card, with production's poll interval (a first look after 10 s, then doubling). Before,
// a Parking+Plus journey noticed the payment only at its next poll, and a MobilPay payment whose
// notification was lost waited for the payment workflow's next poll.

const PAID_WITHIN_MS = 2_000;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ JOURNEY_POLL_FIRST_MS: '10000', JOURNEY_POLL_MAX_MS: '600000', EPX_CURRENCY: 'BRL' });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
});
/** A ticket in the yard: the LinkC sandbox has no ticket starting with 9. */
const newId = () => `1${randomUUID().replace(/\D/g, '').slice(0, 9).padEnd(9, '7')}`;

/** How long after `since` the journey shows `state` (polling the API every 50 ms, for at most `withinMs` + 1 s). */
async function msUntil(id: string, state: string, since: number, withinMs = PAID_WITHIN_MS): Promise<number> {
  const until = since + withinMs + 1_000;
  while (Date.now() < until) {
    if ((await stack.api(`/v1/journeys/${id}`)).body.state === state) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Infinity;
}

async function parkingPlusAwaitingPayment(): Promise<{ id: string; payUrl: string }> {
  const driver = `return-${randomUUID()}@example.com`;
  const linked = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: driver, password: 'sekret' } });
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'parkingplus', accountId: linked.body.accountId, securedParkingId: 187, plate: 'B123RET' },
  });
  const id: string = started.body.id;
  await fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${started.body.upstream.reference}/gate`, { method: 'POST' });
  expect((await stack.api(`/v1/journeys/${id}/enter`, { body: {} })).body.state).toBe('active');
  expect((await stack.api(`/v1/journeys/${id}/finalize`, { body: {} })).body.state).toBe('awaiting_payment');
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });
  return { id, payUrl: pay.body.redirectUrl };
}

async function linkcJourney(): Promise<string> {
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'linkc', localizador: newId() },
  });
  expect(started.body.state).toBe('awaiting_payment');
  return started.body.id;
}

async function linkcPayment(method: 'mobilpay' | 'epx'): Promise<{ id: string; redirectUrl: string }> {
  const id = await linkcJourney();
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method } });
  expect(pay.body.status).toBe('pending');
  return { id, redirectUrl: pay.body.redirectUrl };
}

const PARKINGPLUS_CARD = { processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' };

describe("a driver's return from a hosted page checks at once (production poll interval)", () => {
  test('Parking+Plus: the pay page sends the WebView to return_url → paid within 2 s', async () => {
    const { id, payUrl } = await parkingPlusAwaitingPayment();
    expect(new URL(payUrl).searchParams.get('return_url')).toBeTruthy();
    const paidAt = Date.now();
    // The WebView follows the pay page's redirect to parkflow's return page.
    const landed = await fetch(payUrl, form(PARKINGPLUS_CARD));
    expect(landed.url).toContain(`/v1/returns/parkingplus/${id}`);
    expect(await landed.text()).toContain('Payment sent');
    expect(await msUntil(id, 'paid', paidAt)).toBeLessThanOrEqual(PAID_WITHIN_MS);
  });

  test('Parking+Plus, the return lost (the WebView closed): the poll has not looked yet; a backend refresh → paid within 2 s', async () => {
    const { id, payUrl } = await parkingPlusAwaitingPayment();
    const paid = await fetch(payUrl, { ...form(PARKINGPLUS_CARD), redirect: 'manual' });
    expect(paid.status).toBe(303);
    // The journey's first poll comes 10 s after finalize: 3 s on, it has not seen the payment.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('awaiting_payment');
    const askedAt = Date.now();
    const refresh = await stack.api(`/v1/journeys/${id}/refresh`, { body: {} });
    expect(refresh).toMatchObject({ status: 202, body: { id, refresh: 'requested' } });
    expect(await msUntil(id, 'paid', askedAt)).toBeLessThanOrEqual(PAID_WITHIN_MS);
  });

  test('MobilPay (LinkC journey), its notification lost: the driver taps "back to the merchant" → paid within 2 s', async () => {
    const { id, redirectUrl } = await linkcPayment('mobilpay');
    stack.mobilPay.notifier.controls.dropNext = 1; // this payment's IPN is lost
    const paidAt = Date.now();
    const result = await (await fetch(redirectUrl, form({ card_number: '9900004810225098', cvv: '111', exp_date: '12/30' }))).text();
    const back = /<a id="back" href="([^"]+)"/.exec(result)?.[1]?.replace(/&amp;/g, '&');
    expect(back).toContain('/v1/payments/return?orderId=');
    expect(await (await fetch(back!)).text()).toContain('Payment sent');
    expect(await msUntil(id, 'paid', paidAt)).toBeLessThanOrEqual(PAID_WITHIN_MS);
  });

  test('MobilPay (LinkC journey): the return wakes the payment workflow only; the journey wakes once, for its report, and reads the record once', async () => {
    const { id, redirectUrl } = await linkcPayment('mobilpay');
    const result = await (await fetch(redirectUrl, form({ card_number: '9900004810225098', cvv: '111', exp_date: '12/30' }))).text();
    const back = /<a id="back" href="([^"]+)"/.exec(result)?.[1]?.replace(/&amp;/g, '&');
    expect(await (await fetch(back!)).text()).toContain('Payment sent');
    expect(await msUntil(id, 'paid', Date.now())).toBeLessThanOrEqual(PAID_WITHIN_MS);
    const journey = await stack.env.client.workflow.getHandle(id).fetchHistory();
    const payment = await stack.env.client.workflow.getHandle(`payment-${id}.1`).fetchHistory();
    const signals = (events: typeof journey.events) => events!.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
    const activities = journey.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    // Before: the return also signalled the journey (which nudged the payment again), the opened order was reported
    // as well as the capture, the record was read twice, and the stay looked up only after the refresh floor.
    expect(signals(journey.events)).toEqual(['paymentChanged']);
    expect(signals(payment.events).every((name) => name === 'notified')).toBe(true);
    expect(activities).toEqual(['lookupLinkcStay', 'openPaymentAttempt', 'paymentStatus', 'registerLinkcPayment', 'lookupLinkcStay']);
    expect(journey.events!.filter((e) => e.workflowTaskStartedEventAttributes).length).toBeLessThanOrEqual(9);
  });

  test('EPX (LinkC journey): the browser brings the Browser Post redirect → paid within 2 s', async () => {
    const { id, redirectUrl } = await linkcPayment('epx');
    const paidAt = Date.now();
    // The card on the hosted form; the browser then brings EPX's redirect (its result) to parkflow.
    await payOnHostedPage(stack, { paymentId: '', method: 'epx', status: 'pending', redirectUrl }, '4000000000000002');
    expect(await msUntil(id, 'paid', paidAt)).toBeLessThanOrEqual(PAID_WITHIN_MS);
  });
});

describe('POST /v1/journeys/{id}/refresh', () => {
  test('a hint: repeated at once it is coalesced; unknown, another tenant’s → 404; an ended journey → 409; too many → 429', async () => {
    const id = await linkcJourney();
    expect((await stack.api(`/v1/journeys/${id}/refresh`, { body: {} })).body.refresh).toBe('requested');
    expect((await stack.api(`/v1/journeys/${id}/refresh`, { body: {} })).body.refresh).toBe('coalesced');
    expect((await stack.api(`/v1/journeys/${id}/refresh`, { headers: { 'x-api-key': OTHER_API_KEY }, body: {} })).status).toBe(404);
    expect((await stack.api(`/v1/journeys/journey-e2e-00000000000000000000/refresh`, { body: {} })).status).toBe(404);

    expect((await stack.api(`/v1/journeys/${id}/cancel`, { body: {} })).body.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 1_100)); // past the coalescing floor
    const ended = await stack.api(`/v1/journeys/${id}/refresh`, { body: {} });
    expect(ended).toMatchObject({ status: 409, body: { type: expect.stringContaining('journey-ended') } });

    const busy = await linkcJourney();
    const answers = [];
    for (let i = 0; i < 61; i++) answers.push((await stack.api(`/v1/journeys/${busy}/refresh`, { body: {} })).status);
    expect(answers.slice(0, 60).every((s) => s === 202)).toBe(true);
    expect(answers[60]).toBe(429);
    expect(await stack.contractViolations()).toEqual([]);
  });
});
