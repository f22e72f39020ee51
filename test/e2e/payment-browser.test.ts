import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { type Browser } from 'playwright-core';
import { toMinorUnits } from '../../src/domain/money';
import { type PaymentView } from '../../src/workflows/messages';
import { type PaymentInput } from '../../src/workflows/payment-messages';
import { launchChromium } from '../support/browser';
import { startPayment } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// A driver's browser on the processors' hosted pages: Debian's Chromium types each sandbox card,
// submits, and the payment (started as a journey would start it) ends captured or declined with
// the processor's reason. Afterwards no card number may be found in any history, log or answer.

let stack: Stack;
let browser: Browser;
const answers: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const cases: Array<{ method: 'mobilpay' | 'epx'; card: string; status: PaymentView['status']; reason?: string }> = [
  { method: 'mobilpay', card: '9900004810225098', status: 'captured' },
  { method: 'mobilpay', card: '99110059532258', status: 'captured' },
  { method: 'mobilpay', card: '9900541631437790', status: 'declined', reason: 'Expired card (19)' },
  { method: 'mobilpay', card: '9900518572831942', status: 'declined', reason: 'Insufficient funds (20)' },
  { method: 'mobilpay', card: '9900827979991500', status: 'declined', reason: 'CVV2 incorrect (21)' },
  { method: 'mobilpay', card: '9900005786662552', status: 'declined', reason: 'Transaction declined by antifraud (36)' },
  { method: 'mobilpay', card: '9900576270414197', status: 'declined', reason: 'Transaction not permitted (34)' },
  { method: 'mobilpay', card: '9900130597497640', status: 'declined', reason: 'Issuer unavailable (bank error) (22)' },
  { method: 'epx', card: '4000000000000002', status: 'captured' },
  { method: 'epx', card: '4000000000000549', status: 'declined', reason: 'EXPIRED CARD (54)' },
];

describe('hosted payment pages in Chromium', () => {
  test.each(cases)('$method card $card → $status', async ({ method, card, status, reason }) => {
    const journeyId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const input: PaymentInput = {
      journeyId,
      attempt: 1,
      method,
      amount: { value: '15.00', currency: 'RON' },
      dueAt: new Date(Date.now() + 10 * 60_000).toISOString(),
      description: 'browser test',
      polling: { firstMs: 1000, maxMs: 2000 },
    };
    const { view, workflowId } = await startPayment(stack.service.temporal, stack.config.TEMPORAL_TASK_QUEUE, input);
    answers.push(JSON.stringify(view));

    const page = await browser.newPage();
    try {
      await page.goto(view.redirectUrl);
      await page.fill('#card_number', card);
      await page.fill('#exp_date', method === 'mobilpay' ? '12/30' : '3012');
      await page.fill('#cvv', method === 'mobilpay' ? '111' : '123');
      await page.click('#pay');
      // EPX redirects through an auto-submitting form to parkflow's landing page.
      await page.waitForSelector('#result', { timeout: 15_000 });
      answers.push(await page.content());
    } finally {
      await page.close();
    }

    const result: PaymentView = await stack.service.temporal.workflow.getHandle(workflowId).result();
    expect({ status: result.status, reason: result.reason }).toEqual({ status, reason });
  });

  test('a whole LinkC journey through HTTP: look up, pay in Chromium, registered, paid', async () => {
    const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', localizador: '77001234' } });
    expect(started.body.state).toBe('awaiting_payment');
    const pay = await stack.api(`/v1/journeys/${started.body.id}/pay`, { body: { method: 'mobilpay' } });
    answers.push(JSON.stringify(started.body), JSON.stringify(pay.body));
    const paid = await payInChromium(pay.body.redirectUrl, started.body.id);
    expect(paid.payment).toMatchObject({ status: 'captured', method: 'mobilpay' });
    expect(stack.linkc.stays.get('77001234')!.pagoMinor).toBe(toMinorUnits(started.body.amount.value));
  });

  test('a whole Ector journey through HTTP: book, pay in Chromium before the deadline, marked paid at Ector', async () => {
    await eventually(async () => ((await stack.api('/v1/ector/zones')).status === 200 ? true : undefined), 30_000, 'the zone cache');
    const day = (n: number) => new Date(Date.now() + n * 24 * 3600_000).toISOString().slice(0, 10);
    const started = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID() },
      body: {
        provider: 'ector',
        zoneId: 'ORY',
        startAt: `${day(3)}T07:30:00`,
        endAt: `${day(10)}T22:00:00`,
        services: ['covered_parking'],
        contact: { firstName: 'Lucie', lastName: 'Bernard', email: 'lucie@example.com', phone: '+33 6 98 76 54 32' },
        car: { plate: 'GH-456-JK' },
      },
    });
    expect(started.body).toMatchObject({ state: 'awaiting_payment', amount: { currency: 'EUR' } });
    const pay = await stack.api(`/v1/journeys/${started.body.id}/pay`, { body: { method: 'mobilpay' } });
    answers.push(JSON.stringify(started.body), JSON.stringify(pay.body));
    const paid = await payInChromium(pay.body.redirectUrl, started.body.id);
    expect(paid.payment).toMatchObject({ status: 'captured', method: 'mobilpay', amount: started.body.amount });
    expect(stack.ector.bookings.get(started.body.upstream.bookingId)!.status).toBe('paid');
  });

  test('no card number in any history, log line or answer', async () => {
    const histories = [];
    for await (const item of stack.service.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories()) histories.push(item);
    expect(histories.length).toBeGreaterThanOrEqual(cases.length);
    const historyText = histories.map((h) => payloadText(h.history)).join('\n');
    for (const { card } of cases) {
      expect({ card, inHistory: historyText.includes(card) }).toEqual({ card, inHistory: false });
      expect({ card, inLogs: stack.logs.some((line) => line.includes(card)) }).toEqual({ card, inLogs: false });
      expect({ card, inAnswers: answers.some((a) => a.includes(card)) }).toEqual({ card, inAnswers: false });
    }
    // the histories replay against the workflow code
    for await (const result of Worker.runReplayHistories(await replayOptions(), histories)) {
      expect({ workflowId: result.workflowId, error: result.error?.message }).toEqual({ workflowId: result.workflowId, error: undefined });
    }

    // and the processors' books keep masked numbers only
    const books = JSON.stringify([...stack.mobilPay.orders.values(), [...stack.epx.transactions.values()], stack.mobilPay.notifier.delivered]);
    for (const { card } of cases) expect(books.includes(card)).toBe(false);
  });
});

/** The driver pays on MobilPay's page in Chromium with the accepted sandbox card; the journey then reaches `paid`. */
async function payInChromium(redirectUrl: string, journeyId: string) {
  const page = await browser.newPage();
  try {
    await page.goto(redirectUrl);
    await page.fill('#card_number', '9900004810225098');
    await page.fill('#cvv', '111');
    await page.click('#pay');
    expect(await page.textContent('#result')).toBe('Payment approved');
  } finally {
    await page.close();
  }
  const paid = await eventually(async () => {
    const view = (await stack.api(`/v1/journeys/${journeyId}`)).body;
    return view.state === 'paid' ? view : undefined;
  });
  answers.push(JSON.stringify(paid));
  return paid;
}

function payloadText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(payloadText).join(' ');
  if (value && typeof value === 'object') return Object.values(value).map(payloadText).join(' ');
  return typeof value === 'string' ? value : '';
}

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
