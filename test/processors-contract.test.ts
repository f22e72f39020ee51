import express from 'express';
import { EpxClient, epxTranNbr } from '../src/activities/epx/client';
import { MobilPayClient } from '../src/activities/mobilpay/client';
import { verifyNetopiaIpn } from '../src/activities/mobilpay/ipn';
import { FailureType } from '../src/domain/failures';
import { createEpxSandbox, epxSandboxUrls, type EpxSandbox } from '../src/sandbox/epx/app';
import { listen, type Listening } from '../src/sandbox/harness';
import { createMobilPaySandbox, type MobilPaySandbox } from '../src/sandbox/mobilpay/app';
import { SANDBOX_NETOPIA_PUBLIC_KEY } from '../src/sandbox/mobilpay/sandbox-keys';
import { failure } from './support/failure';

// The processors' clients against their simulators: the documented codes, deduplication,
// refunds, the IPN and its resending, the TAC rules, NETOPIA's antifraud review, and when the
// money moved by the processor's own record.

let mobilPay: MobilPaySandbox;
let epx: EpxSandbox;
let servers: Listening[];
let receiver: Listening;
const received: Array<{ body: string; token?: string }> = [];
let answers: Array<{ status: number; errorType: number }> = [];
let mobilpay: MobilPayClient;
let epxClient: EpxClient;

beforeAll(async () => {
  mobilPay = createMobilPaySandbox({ notifyRetry: { attempts: 4, delayMs: 10 }, review: { outcome: 'decline', afterMs: 250 } });
  epx = createEpxSandbox({ currency: 'RON' });
  servers = [await listen(mobilPay.app, 0), await listen(epx.app, 0)];
  // A merchant endpoint whose answers the tests script (errorType 1 = try again).
  const merchant = express();
  merchant.post('/ipn', express.text({ type: () => true }), (req, res) => {
    received.push({ body: String(req.body), token: req.get('Verification-token') });
    const answer = answers.shift() ?? { status: 200, errorType: 0 };
    res.status(answer.status).json({ errorType: answer.errorType, errorCode: null, errorMessage: '' });
  });
  receiver = await listen(merchant, 0);
  mobilpay = new MobilPayClient({ baseUrl: servers[0]!.url, apiKey: 'sandbox-mobilpay-api-key', posSignature: 'XXXX-XXXX-XXXX-XXXX-XXXX', timeoutMs: 2000 });
  epxClient = new EpxClient({ ...epxSandboxUrls(servers[1]!.url), mac: epx.mac, fourPartKey: { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' }, timeoutMs: 2000 });
});
afterAll(async () => {
  await Promise.all([...servers, receiver].map((s) => s.close()));
});
beforeEach(() => {
  received.length = 0;
  answers = [];
});

const amount = { value: '10.50', currency: 'RON' };
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};
/** The payment statuses of the IPNs received for an order, in the order they arrived. */
const ipnStatuses = (orderId: string) =>
  received
    .map((r) => JSON.parse(r.body) as { order: { orderID: string }; payment: { status: number } })
    .filter((b) => b.order.orderID === orderId)
    .map((b) => b.payment.status);
const EPX_KEY = { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' };
const ANTIFRAUD = '9900005786662552';
const between = (iso: string | undefined, fromMs: number, toMs: number) => {
  const ms = Date.parse(iso ?? '');
  expect(ms).toBeGreaterThanOrEqual(fromMs);
  expect(ms).toBeLessThanOrEqual(toMs);
};
describe('MobilPay (NETOPIA v2)', () => {
  const open = (orderId: string, value = amount) => mobilpay.startOrder({ orderId, amount: value, description: 'test', notifyUrl: `${receiver.url}/ipn`, redirectUrl: 'http://127.0.0.1/return' });

  test('start → the hosted page; the same order again → the same payment (56); another amount → 99', async () => {
    const first = await open('j1.1');
    expect(first.redirectUrl).toMatch(/\/payment\/card\/page\/[0-9a-f]+$/);
    expect(await open('j1.1')).toEqual(first);
    expect((await failure(open('j1.1', { value: '11.00', currency: 'RON' }))).type).toBe(FailureType.UpstreamRejected);
    expect(mobilPay.orders.get('j1.1')!.amountMinor).toBe(1050);
  });

  test('a wrong API key is refused', async () => {
    const wrong = new MobilPayClient({ baseUrl: servers[0]!.url, apiKey: 'nope', posSignature: 'XXXX-XXXX-XXXX-XXXX-XXXX', timeoutMs: 2000 });
    expect((await failure(wrong.status('j1.1'))).type).toBe(FailureType.UpstreamRejected);
  });

  test.each([
    ['9900004810225098', 'captured', undefined],
    ['9900541631437790', 'declined', 'Expired card (19)'],
    ['9900518572831942', 'declined', 'Insufficient funds (20)'],
    [ANTIFRAUD, 'in_review', undefined],
    ['1234567890123456', 'declined', 'Transaction declined (35)'],
  ])('card %s → %s', async (card, state, reason) => {
    const orderId = `card-${card}.1`;
    const opened = await open(orderId);
    expect((await mobilpay.status(orderId)).state).toBe('pending');
    mobilPay.payWithCard(opened.processorRef, card, '111');
    expect(await mobilpay.status(orderId)).toMatchObject({ state, reason });
    // wait for the review's decision, so that its IPN does not land in a later test
    if (state === 'in_review') await until(() => ipnStatuses(orderId).length >= 2);
  });

  test('the antifraud card: in review (13) with an IPN, then declined by antifraud (36) with another', async () => {
    const opened = await open('review.1');
    mobilPay.payWithCard(opened.processorRef, ANTIFRAUD, '111');
    expect(await mobilpay.status('review.1')).toMatchObject({ state: 'in_review', reason: undefined, captured: undefined });
    await until(() => ipnStatuses('review.1').length >= 2);
    expect(ipnStatuses('review.1')).toEqual([13, 12]);
    expect(await mobilpay.status('review.1')).toMatchObject({ state: 'declined', reason: 'Transaction declined by antifraud (36)' });
    expect(mobilPay.ledger.entries.some((e) => e.reference === 'review.1')).toBe(false);
  });

  test('capturedAt is when the processor took the money (its clock), not when we looked; captured is the amount', async () => {
    const opened = await open('when.1');
    try {
      mobilPay.clock.advance(3_600_000);
      const before = mobilPay.clock.now();
      mobilPay.payWithCard(opened.processorRef, '9900004810225098', '111');
      const after = mobilPay.clock.now();
      mobilPay.clock.advance(2 * 3_600_000);
      const status = await mobilpay.status('when.1');
      expect(status).toMatchObject({ state: 'captured', captured: '10.50' });
      between(status.capturedAt, before, after);
      expect(status.capturedAt).toBe(mobilPay.ledger.entries.find((e) => e.reference === 'when.1')!.at);
      await until(() => ipnStatuses('when.1').length >= 1);
      expect(JSON.parse(received.find((r) => r.body.includes('"when.1"'))!.body).payment.operationDate).toBe(status.capturedAt);

      mobilPay.clock.advance(3_600_000);
      await mobilpay.credit('when.1', opened.processorRef, amount);
      const refunded = await mobilpay.status('when.1');
      expect(refunded).toMatchObject({ state: 'refunded', captured: '10.50', refunded: '10.50', capturedAt: status.capturedAt });
    } finally {
      mobilPay.clock.reset();
    }
  });

  test('the IPN is signed as NETOPIA signs it, and sent again while the merchant answers errorType 1', async () => {
    answers = [{ status: 200, errorType: 1 }, { status: 503, errorType: 1 }];
    const opened = await open('ipn.1');
    mobilPay.payWithCard(opened.processorRef, '9900004810225098', '111');
    await until(() => received.length >= 3);
    expect(received).toHaveLength(3);
    const ipn = verifyNetopiaIpn(Buffer.from(received[2]!.body), received[2]!.token, { publicKeyPem: SANDBOX_NETOPIA_PUBLIC_KEY, posSignature: 'XXXX-XXXX-XXXX-XXXX-XXXX', nowSeconds: Math.floor(Date.now() / 1000) });
    expect(ipn).toMatchObject({ order: { orderID: 'ipn.1' }, payment: { status: 3 } });
    expect(received[2]!.body).not.toContain('9900004810225098');
  });

  test('held notifications are delivered out of order on release', async () => {
    const a = await open('hold.1');
    const b = await open('hold.2');
    mobilPay.notifier.controls.hold = true;
    mobilPay.payWithCard(a.processorRef, '9900004810225098', '111');
    mobilPay.payWithCard(b.processorRef, '9900541631437790', '111');
    expect(received).toHaveLength(0);
    await mobilPay.notifier.release();
    expect(received.map((r) => JSON.parse(r.body).order.orderID)).toEqual(['hold.2', 'hold.1']);
  });

  test('credit refunds once; cancel stops an unpaid order from being paid', async () => {
    const paid = await open('credit.1');
    mobilPay.payWithCard(paid.processorRef, '9900004810225098', '111');
    await mobilpay.credit('credit.1', paid.processorRef, amount);
    await mobilpay.credit('credit.1', paid.processorRef, amount);
    expect((await mobilpay.status('credit.1')).state).toBe('refunded');
    expect(mobilPay.ledger.entries.filter((e) => e.reference === 'credit.1').map((e) => e.kind)).toEqual(['capture', 'refund']);

    const unpaid = await open('cancel.1');
    await mobilpay.cancel('cancel.1');
    expect(mobilPay.payWithCard(unpaid.processorRef, '9900004810225098', '111')!.status).toBe(4);
    expect(mobilPay.ledger.entries.some((e) => e.reference === 'cancel.1')).toBe(false);
  });

  test('a partial credit refunds that amount only, and shows in the status', async () => {
    const paid = await open('partial.1');
    mobilPay.payWithCard(paid.processorRef, '9900004810225098', '111');
    await mobilpay.credit('partial.1', paid.processorRef, { value: '2.50', currency: 'RON' });
    expect(await mobilpay.status('partial.1')).toMatchObject({ state: 'captured', captured: '10.50', refunded: '2.50' });
    expect(mobilPay.ledger.entries.filter((e) => e.reference === 'partial.1').map((e) => [e.kind, e.amountMinor])).toEqual([['capture', 1050], ['refund', 250]]);
    const books = (await (await fetch(`${servers[0]!.url}/__sandbox/ledger`)).json()) as Record<string, Record<string, unknown>>;
    expect(books.heldByOrder!['partial.1']).toEqual({ currency: 'RON', capturedMinor: 1050, refundedMinor: 250, heldMinor: 800 });
    expect(books.heldByJourney!.partial).toEqual({ RON: 800 });
    expect(books.holdingOrdersByJourney!.partial).toBe(1);
  });

  test('an injected failure is a retryable UpstreamUnavailable', async () => {
    mobilPay.faults.add({ path: '/operation/status', status: 502 });
    expect(await failure(mobilpay.status('j1.1'))).toMatchObject({ type: FailureType.UpstreamUnavailable, nonRetryable: false });
  });
});

describe('MobilPay antifraud review held until decided', () => {
  let held: MobilPaySandbox;
  let server: Listening;
  let client: MobilPayClient;
  beforeAll(async () => {
    held = createMobilPaySandbox({ notifyRetry: { attempts: 2, delayMs: 10 }, review: { outcome: 'hold' } });
    server = await listen(held.app, 0);
    const posSignature = 'XXXX-XXXX-XXXX-XXXX-XXXX';
    client = new MobilPayClient({ baseUrl: server.url, apiKey: 'sandbox-mobilpay-api-key', posSignature, timeoutMs: 2000 });
  });
  afterAll(() => server.close());
  const open = (orderId: string) =>
    client.startOrder({ orderId, amount, description: 'test', notifyUrl: `${receiver.url}/ipn`, redirectUrl: 'http://127.0.0.1/return' });
  const decide = (orderId: string, outcome: string) =>
    fetch(`${server.url}/__sandbox/orders/${orderId}/review`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome }),
    });

  test('approved after a while → captured, booked and dated at the approval', async () => {
    const opened = await open('held.1');
    try {
      held.payWithCard(opened.processorRef, ANTIFRAUD, '111');
      held.clock.advance(30 * 60_000);
      expect((await client.status('held.1')).state).toBe('in_review');
      expect((await decide('held.1', 'maybe')).status).toBe(400);
      const before = held.clock.now();
      expect((await decide('held.1', 'approve')).status).toBe(200);
      const after = held.clock.now();
      held.clock.advance(60 * 60_000);
      const status = await client.status('held.1');
      expect(status).toMatchObject({ state: 'captured', captured: '10.50' });
      between(status.capturedAt, before, after);
      const booked = held.ledger.entries.filter((e) => e.reference === 'held.1').map((e) => [e.kind, e.amountMinor, e.at]);
      expect(booked).toEqual([['capture', 1050, status.capturedAt]]);
      expect((await decide('held.1', 'decline')).status).toBe(409); // decided once
      await until(() => ipnStatuses('held.1').length >= 2);
      expect(ipnStatuses('held.1')).toEqual([13, 3]);
    } finally {
      held.clock.reset();
    }
  });

  test('cancel during the review changes nothing; the review still decides', async () => {
    const opened = await open('held.2');
    held.payWithCard(opened.processorRef, ANTIFRAUD, '111');
    await client.cancel('held.2');
    expect(held.orders.get('held.2')).toMatchObject({ status: 13, message: 'Payment in review (antifraud)' });
    expect((await client.status('held.2')).state).toBe('in_review');
    expect(held.decideReview('held.2', 'decline')!.status).toBe(12);
    expect(await client.status('held.2')).toMatchObject({ state: 'declined', reason: 'Transaction declined by antifraud (36)' });
    expect(held.ledger.entries.some((e) => e.reference === 'held.2')).toBe(false);
    await until(() => ipnStatuses('held.2').length >= 2);
  });
});

describe('EPX (Browser Post)', () => {
  const open = (orderId: string) => epxClient.keyExchange({ orderId, amount, redirectUrl: 'http://127.0.0.1/back' });
  const tacOf = (url: string) => new URL(url).searchParams.get('TAC')!;

  test('TRAN_NBR: numeric, 10 digits, deterministic per order', () => {
    expect(epxTranNbr('journey-abc.1')).toMatch(/^\d{10}$/);
    expect(epxTranNbr('journey-abc.1')).toBe(epxTranNbr('journey-abc.1'));
    expect(epxTranNbr('journey-abc.2')).not.toBe(epxTranNbr('journey-abc.1'));
  });

  test('key exchange with a wrong MAC is refused', async () => {
    const wrong = new EpxClient({ ...epxSandboxUrls(servers[1]!.url), mac: 'wrong', fourPartKey: { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' }, timeoutMs: 2000 });
    expect((await failure(wrong.keyExchange({ orderId: 'x.1', amount, redirectUrl: 'http://127.0.0.1/back' }))).type).toBe(FailureType.UpstreamRejected);
  });

  test('a TAC is single use, bound to its values, and expires after 4 hours', async () => {
    const opened = await open('tac.1');
    const tac = tacOf(opened.redirectUrl);
    const tx = epx.transactions.get(tacOf(opened.redirectUrl))!;
    expect(epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tac, TRAN_NBR: tx.tranNbr, AMOUNT: '0.01', ACCOUNT_NBR: '4000000000000002' })).toEqual({ error: 'BP_102' });
    const approved = epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tac, TRAN_NBR: tx.tranNbr, AMOUNT: '10.50', ACCOUNT_NBR: '4000000000000002' });
    expect(approved).toMatchObject({ redirectUrl: 'http://127.0.0.1/back', fields: { AUTH_RESP: '00', AUTH_MASKED_ACCOUNT_NBR: 'XXXXXXXXXXXX0002', USER_DATA_1: 'tac.1' } });
    expect(epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tac, TRAN_NBR: tx.tranNbr, ACCOUNT_NBR: '4000000000000002' })).toEqual({ error: 'BP_101' });

    const later = await open('tac.2');
    epx.clock.advance(4 * 3600_000 + 1000);
    const stale = epx.transactions.get(tacOf(later.redirectUrl))!;
    expect(epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tacOf(later.redirectUrl), TRAN_NBR: stale.tranNbr, ACCOUNT_NBR: '4000000000000002' })).toEqual({ error: 'BP_101' });
    epx.clock.reset();
  });

  test('status: pending, approved, declined with its AUTH_RESP; refund once (CCE9)', async () => {
    const opened = await open('status.1');
    expect((await epxClient.status('status.1')).state).toBe('pending');
    const tx = epx.transactions.get(tacOf(opened.redirectUrl))!;
    epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tacOf(opened.redirectUrl), TRAN_NBR: tx.tranNbr, ACCOUNT_NBR: '4000000000000002' });
    expect((await epxClient.status('status.1')).state).toBe('captured');
    await epxClient.refund('status.1', amount);
    await epxClient.refund('status.1', amount);
    expect((await epxClient.status('status.1')).state).toBe('refunded');
    const booked = epx.ledger.entries.filter((e) => e.reference === 'status.1').map((e) => [e.kind, e.currency]);
    expect(booked).toEqual([['capture', 'RON'], ['refund', 'RON']]);

    const declined = await open('status.2');
    const tx2 = epx.transactions.get(tacOf(declined.redirectUrl))!;
    epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tacOf(declined.redirectUrl), TRAN_NBR: tx2.tranNbr, ACCOUNT_NBR: '4000000000000051' });
    expect(await epxClient.status('status.2')).toMatchObject({ state: 'declined', reason: 'INSUFFICIENT FUNDS (51)' });
  });

  test('capturedAt and captured come from the approval on the processor clock, not the look-up', async () => {
    const opened = await open('when.1');
    const tx = epx.transactions.get(tacOf(opened.redirectUrl))!;
    try {
      epx.clock.advance(10 * 60_000);
      const before = epx.clock.now();
      epx.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tacOf(opened.redirectUrl), TRAN_NBR: tx.tranNbr, ACCOUNT_NBR: '4000000000000002' });
      const after = epx.clock.now();
      epx.clock.advance(3_600_000);
      const status = await epxClient.status('when.1');
      expect(status).toMatchObject({ state: 'captured', captured: '10.50', refunded: '0.00' });
      between(status.capturedAt, before, after);
      expect(status.capturedAt).toBe(epx.ledger.entries.find((e) => e.reference === 'when.1')!.at);
      await epxClient.refund('when.1', amount);
      const refunded = await epxClient.status('when.1');
      expect(refunded).toMatchObject({ state: 'refunded', captured: '10.50', refunded: '10.50', capturedAt: status.capturedAt });
    } finally {
      epx.clock.reset();
    }
  });

  test('the books are in the merchant account\'s currency (USD unless configured)', async () => {
    const books = (await (await fetch(`${servers[1]!.url}/__sandbox/ledger`)).json()) as Record<string, Record<string, unknown>>;
    expect(books.heldByJourney!.status).toEqual({ RON: 0 });
    expect(books.holdingOrdersByJourney!.status).toBe(0);

    const usd = createEpxSandbox();
    const server = await listen(usd.app, 0);
    try {
      const client = new EpxClient({ ...epxSandboxUrls(server.url), mac: usd.mac, fourPartKey: EPX_KEY, timeoutMs: 2000 });
      const dollars = { value: '10.50', currency: 'USD' };
      const opened = await client.keyExchange({ orderId: 'usd.1', amount: dollars, redirectUrl: 'http://127.0.0.1/back' });
      usd.browserPost({ ...EPX_KEY, EXP_DATE: '3012', TAC: tacOf(opened.redirectUrl), TRAN_NBR: opened.processorRef, ACCOUNT_NBR: '4000000000000002' });
      expect(usd.ledger.heldByOrder()['usd.1']).toEqual({ currency: 'USD', capturedMinor: 1050, refundedMinor: 0, heldMinor: 1050 });
    } finally {
      await server.close();
    }
  });
});
