import { type TestWorkflowEnvironment } from '@temporalio/testing';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { mobilPayClient } from '../src/activities';
import { MobilPayClient, SANDBOX_MERCHANT_BILLING, type MerchantBilling, type StartInput } from '../src/activities/mobilpay/client';
import { loadConfig } from '../src/config';
import { FailureType } from '../src/domain/failures';
import { createEpxSandbox } from '../src/sandbox/epx/app';
import { listen, type Listening } from '../src/sandbox/harness';
import { createMobilPaySandbox, type MobilPaySandbox } from '../src/sandbox/mobilpay/app';
import { type PaymentView } from '../src/workflows/messages';
import { paymentOrderId, type PaymentInput } from '../src/workflows/payment-messages';
import { startPayment, startPaymentHarness } from './support/payments';
import { failure } from './support/failure';

// NETOPIA fidelity (research §4b; audit rows ): the start carries a billing and is
// refused field by field where NETOPIA's Go SDK (requests/validation.go) refuses it; a start for
// an order already closed answers 56 "Order closed" with status 5 (docs sample-response.md), and
// the client then asks NETOPIA's status instead of taking the answer for a payable page.

const API_KEY = 'sandbox-mobilpay-api-key';
const POS = 'XXXX-XXXX-XXXX-XXXX-XXXX';
const APPROVED = '9900004810225098';
const LANDING = 'http://127.0.0.1:9/v1/payments/return';

let sandbox: MobilPaySandbox;
let server: Listening;
/** What the simulator received on /payment/card/start, as sent. */
const starts: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  sandbox = createMobilPaySandbox({ notifyRetry: { attempts: 1, delayMs: 10 } });
  const recorder = express();
  recorder.post('/payment/card/start', express.json(), (req, _res, next) => {
    starts.push(req.body as Record<string, unknown>);
    next();
  });
  recorder.use(sandbox.app);
  server = await listen(recorder, 0);
});
afterAll(() => server.close());
beforeEach(() => void (starts.length = 0));

const client = (billing?: MerchantBilling) => new MobilPayClient({ baseUrl: server.url, apiKey: API_KEY, posSignature: POS, timeoutMs: 2000, billing });
const input = (orderId: string, extra: Partial<StartInput> = {}): StartInput => ({
  orderId,
  amount: { value: '10.50', currency: 'RON' },
  description: `parking ${orderId}`,
  notifyUrl: 'http://127.0.0.1:9/ipn',
  redirectUrl: LANDING,
  ...extra,
});

/** A start body the Go SDK would send (what validation.go accepts). */
function validBody(orderID: string) {
  return {
    config: { notifyUrl: 'http://127.0.0.1:9/ipn', redirectUrl: LANDING, language: 'ro', emailTemplate: '' },
    payment: { options: { installments: 1, bonus: 0 } },
    order: {
      ntpID: '',
      posSignature: POS,
      dateTime: '2025-03-01T10:15:00+02:00',
      description: 'parking',
      orderID,
      amount: 10.5,
      currency: 'RON',
      billing: { email: 'a@b.ro', phone: '+40700000000', firstName: 'Ion', lastName: 'Pop', city: 'Cluj-Napoca', country: 642 },
    },
  };
}

async function rawStart(body: unknown) {
  const res = await fetch(`${server.url}/payment/card/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: API_KEY },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- NETOPIA's JSON
}

describe('R-48: the start carries a billing; the simulator refuses where the SDK refuses', () => {
  test('the SDK-valid body starts (101 and the hosted page)', async () => {
    const started = await rawStart(validBody('valid.1'));
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ error: { code: '101' }, payment: { status: 1, paymentURL: expect.stringContaining('/payment/card/page/') } });
  });

  type Change = (order: ReturnType<typeof validBody>['order']) => void;
  const cases: Array<[string, string, Change]> = [
    ['no billing email', 'order.billing.email', (o) => void (o.billing.email = '')],
    ['no billing firstName', 'order.billing.firstName', (o) => void delete (o.billing as Partial<typeof o.billing>).firstName],
    ['no billing lastName', 'order.billing.lastName', (o) => void (o.billing.lastName = '')],
    ['no billing city', 'order.billing.city', (o) => void delete (o.billing as Partial<typeof o.billing>).city],
    ['no billing country', 'order.billing.country', (o) => void delete (o.billing as Partial<typeof o.billing>).country],
    ['a country that is not a positive number ("642")', 'order.billing.country', (o) => void ((o.billing as Record<string, unknown>).country = '642')],
    ['no billing at all', 'order.billing.email', (o) => void delete (o as Partial<typeof o>).billing],
    ['no description', 'order.description', (o) => void (o.description = '')],
    ['a dateTime without its offset', 'order.dateTime', (o) => void (o.dateTime = '2025-03-01T10:15:00')],
    ['a dateTime that is not RFC 3339', 'order.dateTime', (o) => void (o.dateTime = 'Sat, 01 Mar 2025 10:15:00 GMT')],
  ];
  test.each(cases)('%s → 400, error 400 with details naming %s; no order is made', async (_name, field, change) => {
    const body = validBody(`refused-${randomUUID()}`);
    change(body.order);
    const refused = await rawStart(body);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: '400', message: 'Invalid request' });
    expect(refused.body.error.details).toContainEqual({ code: '400', field, message: expect.any(String) });
    expect(refused.body.payment).toBeUndefined();
    expect(sandbox.orders.has(body.order.orderID)).toBe(false);
  });

  test('the client sends the configured merchant billing and an RFC 3339 dateTime, and starts', async () => {
    const config = loadConfig({ MOBILPAY_BASE_URL: server.url, MOBILPAY_BILLING_EMAIL: 'plati@operator.ro', MOBILPAY_BILLING_CITY: 'Brașov' });
    const opened = await mobilPayClient(config).startOrder(input('billing.1'));
    expect(opened.redirectUrl).toMatch(/\/payment\/card\/page\/[0-9a-f]+$/);
    const order = starts[0]!.order as Record<string, unknown>;
    expect(order.billing).toEqual({ ...SANDBOX_MERCHANT_BILLING, email: 'plati@operator.ro', city: 'Brașov' });
    expect(order.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    expect(order.description).toBe('parking billing.1');
  });

  test('the billing configuration: sandbox defaults; the country is ISO 3166 numeric', () => {
    expect(loadConfig({})).toMatchObject({
      MOBILPAY_BILLING_EMAIL: SANDBOX_MERCHANT_BILLING.email,
      MOBILPAY_BILLING_FIRST_NAME: SANDBOX_MERCHANT_BILLING.firstName,
      MOBILPAY_BILLING_LAST_NAME: SANDBOX_MERCHANT_BILLING.lastName,
      MOBILPAY_BILLING_CITY: SANDBOX_MERCHANT_BILLING.city,
      MOBILPAY_BILLING_COUNTRY: 642,
    });
    expect(loadConfig({ MOBILPAY_BILLING_COUNTRY: '076' }).MOBILPAY_BILLING_COUNTRY).toBe(76);
    expect(() => loadConfig({ MOBILPAY_BILLING_COUNTRY: 'RO' })).toThrow(/MOBILPAY_BILLING_COUNTRY/);
    expect(() => loadConfig({ MOBILPAY_BILLING_EMAIL: 'not-an-email' })).toThrow(/MOBILPAY_BILLING_EMAIL/);
    expect(() => loadConfig({ MOBILPAY_BILLING_CITY: ' ' })).toThrow(/MOBILPAY_BILLING_CITY/);
  });

  test('a refused start is a non-retryable UpstreamRejected naming the fields, without the API key', async () => {
    const refused = await failure(client({ ...SANDBOX_MERCHANT_BILLING, city: '', lastName: '' }).startOrder(input('billing.2', { description: '' })));
    expect(refused).toMatchObject({ type: FailureType.UpstreamRejected, nonRetryable: true });
    expect(refused.message).toContain('order.billing.city');
    expect(refused.message).toContain('order.billing.lastName');
    expect(refused.message).toContain('order.description');
    expect(refused.details?.[0]).toMatchObject({ status: 400, code: '400', fields: ['order.description', 'order.billing.lastName', 'order.billing.city'] });
    expect(JSON.stringify({ message: refused.message, details: refused.details })).not.toContain(API_KEY);
  });
});

describe('R-51: a start for a closed order → 56 "Order closed", status 5; the client reads the status', () => {
  const closedShape = (ntpID: string) => ({
    customerAction: {},
    error: { code: '56', message: 'Order closed' },
    payment: { amount: 10.5, currency: 'RON', ntpID, status: 5 },
  });

  test('paid, then started again: exactly the documented 56 "Order closed" with status 5 and no page', async () => {
    const opened = await client().startOrder(input('closed.paid'));
    sandbox.payWithCard(opened.processorRef, APPROVED, '111');
    const again = await rawStart(validBody('closed.paid'));
    expect(again).toEqual({ status: 200, body: closedShape(opened.processorRef) });
  });

  test('canceled, credited or declined: the same 56 "Order closed" (status 5 whatever the order\'s own status)', async () => {
    const c = client();
    const canceled = await c.startOrder(input('closed.canceled'));
    await c.cancel('closed.canceled');
    const credited = await c.startOrder(input('closed.credited'));
    sandbox.payWithCard(credited.processorRef, APPROVED, '111');
    await c.credit('closed.credited', credited.processorRef, { value: '10.50', currency: 'RON' });
    const declined = await c.startOrder(input('closed.declined'));
    sandbox.payWithCard(declined.processorRef, '9900541631437790', '111');
    for (const [orderId, ntpID] of [
      ['closed.canceled', canceled.processorRef],
      ['closed.credited', credited.processorRef],
      ['closed.declined', declined.processorRef],
    ] as const) {
      expect(await rawStart(validBody(orderId))).toEqual({ status: 200, body: closedShape(ntpID) });
    }
  });

  test('an order still new: 56 "Duplicated Order ID" with its page (proposal); another amount: 99', async () => {
    const opened = await client().startOrder(input('open.1'));
    const again = await rawStart(validBody('open.1'));
    expect(again.body).toMatchObject({ error: { code: '56', message: 'Duplicated Order ID' }, payment: { status: 1, paymentURL: opened.redirectUrl } });
    const other = await rawStart({ ...validBody('open.1'), order: { ...validBody('open.1').order, amount: 11 } });
    expect(other.body).toEqual({ error: { code: '99', message: 'There is another order with a different price' } });
  });

  test('client: a still-new duplicate keeps its page; a paid one is no page to pay — our landing page, and the status says captured', async () => {
    const c = client();
    const first = await c.startOrder(input('client.1'));
    expect(await c.startOrder(input('client.1'))).toEqual(first);

    sandbox.payWithCard(first.processorRef, APPROVED, '111');
    const reopened = await c.startOrder(input('client.1'));
    expect(reopened).toEqual({ processorRef: first.processorRef, redirectUrl: LANDING });
    expect(await c.status('client.1')).toMatchObject({ state: 'captured', captured: '10.50', processorRef: first.processorRef });
  });

  test('client: a canceled or credited duplicate is no page either; the status decides (declined, refunded)', async () => {
    const c = client();
    const canceled = await c.startOrder(input('client.2'));
    await c.cancel('client.2');
    expect(await c.startOrder(input('client.2'))).toEqual({ processorRef: canceled.processorRef, redirectUrl: LANDING });
    expect((await c.status('client.2')).state).toBe('declined');

    const credited = await c.startOrder(input('client.3'));
    sandbox.payWithCard(credited.processorRef, APPROVED, '111');
    await c.credit('client.3', credited.processorRef, { value: '10.50', currency: 'RON' });
    expect(await c.startOrder(input('client.3'))).toEqual({ processorRef: credited.processorRef, redirectUrl: LANDING });
    expect((await c.status('client.3')).state).toBe('refunded');
  });
});

describe('R-51 through the payment workflow: a start whose answer was lost, the order then paid', () => {
  const mobilPay = createMobilPaySandbox({ notifyRetry: { attempts: 1, delayMs: 10 } });
  const taskQueue = `mobilpay-fidelity-${randomUUID()}`;
  let env: TestWorkflowEnvironment;
  let harness: Awaited<ReturnType<typeof startPaymentHarness>> | undefined;
  let direct: Listening;

  beforeAll(async () => {
    harness = await startPaymentHarness({ mobilPay, epx: createEpxSandbox() }, taskQueue);
    env = harness.env;
    direct = await listen(mobilPay.app, 0);
  }, 60_000);
  afterAll(async () => {
    await direct?.close();
    await harness?.stop();
  });

  async function paidBeforeTheWorkflowOpens(card: string) {
    const journeyId = `fidelity-${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const orderId = paymentOrderId(journeyId, 1);
    mobilPay.clock.advance((await env.currentTimeMs()) - mobilPay.clock.now());
    // The first start reached NETOPIA and the driver paid; its answer never reached the workflow.
    const lost = new MobilPayClient({ baseUrl: direct.url, apiKey: API_KEY, posSignature: POS, timeoutMs: 2000 });
    const opened = await lost.startOrder(input(orderId));
    mobilPay.payWithCard(opened.processorRef, card, '111');
    const dueAt = new Date((await env.currentTimeMs()) + 30 * 60_000).toISOString();
    const payment: PaymentInput = { journeyId, attempt: 1, method: 'mobilpay', amount: { value: '10.50', currency: 'RON' }, dueAt, description: `parking ${orderId}` };
    const { view, workflowId } = await startPayment(env.client, taskQueue, payment);
    return { view, opened, result: (): Promise<PaymentView> => env.client.workflow.getHandle(workflowId).result() };
  }

  test('paid: the view is not a page to pay, and the workflow sees the capture through its status read', async () => {
    const { view, opened, result } = await paidBeforeTheWorkflowOpens(APPROVED);
    expect(view.redirectUrl).toContain('/v1/payments/return');
    expect(view.redirectUrl).not.toContain('/payment/card/page/');
    expect(await result()).toMatchObject({ status: 'captured', processorRef: opened.processorRef });
    expect(mobilPay.ledger.entries.filter((e) => e.reference === view.paymentId).map((e) => e.kind)).toEqual(['capture']);
  });

  test('declined: the workflow reports the decline with NETOPIA\'s reason', async () => {
    const { view, result } = await paidBeforeTheWorkflowOpens('9900541631437790');
    expect(view.redirectUrl).not.toContain('/payment/card/page/');
    expect(await result()).toMatchObject({ status: 'declined', reason: 'Expired card (19)' });
  });
});
