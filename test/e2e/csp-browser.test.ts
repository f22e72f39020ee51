import { randomUUID } from 'node:crypto';
import { type Browser, type Page } from 'playwright-core';
import { type PaymentInput } from '../../src/workflows/payment-messages';
import { launchChromium } from '../support/browser';
import { endOfSuite } from '../support/end-of-suite';
import { startPayment } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';

// Every HTML page parkflow and its simulators serve, loaded in Chromium under their
// Content-Security-Policy: each document carries the header, and the browser reports no
// violation (console "Content Security Policy" messages and securitypolicyviolation events,
// across every navigation: a form's post, a redirect after it, the EPX auto-submitting form).

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await endOfSuite(stack);
});

interface Watched {
  page: Page;
  violations: string[];
  /** Each top-level document (redirects included): its URL, status and CSP header. */
  documents: Array<{ url: string; status: number; csp: string | undefined }>;
}

/** A page that records every CSP violation and every document it loads. */
async function watchedPage(): Promise<Watched> {
  const page = await browser.newPage();
  const watched: Watched = { page, violations: [], documents: [] };
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) watched.violations.push(message.text());
  });
  // Bindings and init scripts come through the DevTools protocol: the page's own CSP does not apply to them.
  await page.exposeBinding('reportViolation', (_source, text: string) => void watched.violations.push(text));
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI));",
  });
  page.on('response', (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame())
      watched.documents.push({ url: response.url(), status: response.status(), csp: response.headers()['content-security-policy'] });
  });
  return watched;
}

async function expectClean(watched: Watched, documents: number): Promise<void> {
  await watched.page.close();
  expect(watched.violations).toEqual([]);
  const pages = watched.documents.filter((d) => d.status < 300 || d.status >= 400); // a redirect is not a page
  expect(pages.length).toBeGreaterThanOrEqual(documents);
  for (const doc of pages) expect({ url: doc.url, csp: doc.csp }).toEqual({ url: doc.url, csp: expect.stringContaining("script-src 'self'") });
}

describe("parkflow's pages", () => {
  test('the watcher sees a violation: an inline script on a landing page is refused', async () => {
    const watched = await watchedPage();
    await watched.page.goto(`${stack.service.apiUrl}/v1/payments/return?orderId=x`);
    await watched.page.addScriptTag({ content: 'document.title = "injected"' }).catch(() => undefined);
    await eventually(async () => (watched.violations.length > 0 ? true : undefined), 5_000, 'a reported violation');
    expect(await watched.page.title()).toBe('Payment sent');
    await watched.page.close();
    expect(watched.violations.join('\n')).toContain('script-src');
  });

  test('/docs: swagger-ui renders the spec under its CSP', async () => {
    const watched = await watchedPage();
    await watched.page.goto(`${stack.service.apiUrl}/docs/`);
    await watched.page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
    expect(await watched.page.textContent('.swagger-ui .info .title')).toContain('parkflow');
    await watched.page.locator('.opblock-summary').first().click(); // an operation opened: more of swagger-ui renders
    await watched.page.waitForSelector('.opblock-body');
    await expectClean(watched, 1);
  });

  test('the codec: sign in and sign out through its forms', async () => {
    const watched = await watchedPage();
    await watched.page.goto(`${stack.service.apiUrl}/codec/sign-in`);
    await watched.page.fill('input[name=operatorKey]', stack.config.PARKFLOW_OPERATOR_KEYS[0]!);
    await watched.page.click('button[type=submit]');
    await watched.page.waitForSelector('#signed-in');
    await watched.page.click('button[type=submit]');
    await watched.page.waitForSelector('text=Signed out');
    await expectClean(watched, 3);
  });

  test('the landing pages a driver comes back to', async () => {
    const watched = await watchedPage();
    await watched.page.goto(`${stack.service.apiUrl}/v1/payments/return?orderId=journey-e2e-0123456789abcdef0123.1`);
    await watched.page.waitForSelector('#result');
    await watched.page.goto(`${stack.service.apiUrl}/v1/returns/parkingplus/journey-e2e-0123456789abcdef0123?id=7`);
    await watched.page.waitForSelector('#result');
    await expectClean(watched, 2);
  });
});

describe("the processors' hosted pages (simulators)", () => {
  const payment = (method: 'mobilpay' | 'epx'): PaymentInput => ({
    journeyId: `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    attempt: 1,
    method,
    amount: { value: '7.00', currency: 'RON' },
    dueAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    description: 'csp test',
    polling: { firstMs: 1000, maxMs: 2000 },
  });

  test('MobilPay: card page, its form, the result page', async () => {
    const { view } = await startPayment(stack.service.temporal, stack.config.TEMPORAL_TASK_QUEUE, payment('mobilpay'));
    const watched = await watchedPage();
    await watched.page.goto(view.redirectUrl);
    await watched.page.fill('#card_number', '9900004810225098');
    await watched.page.fill('#cvv', '111');
    await watched.page.click('#pay');
    expect(await watched.page.textContent('#result')).toBe('Payment approved');
    await expectClean(watched, 2);
  });

  test("EPX: pay page, then its auto-submitting form (a script file) carries the result to parkflow's page", async () => {
    const { view } = await startPayment(stack.service.temporal, stack.config.TEMPORAL_TASK_QUEUE, payment('epx'));
    const watched = await watchedPage();
    await watched.page.goto(view.redirectUrl);
    await watched.page.fill('#card_number', '4000000000000002');
    await watched.page.fill('#exp_date', '3012');
    await watched.page.fill('#cvv', '123');
    await watched.page.click('#pay');
    await watched.page.waitForURL(/\/v1\/webhooks\/epx/, { timeout: 15_000 });
    expect(await watched.page.textContent('#result')).toBe('Payment received');
    await expectClean(watched, 3); // pay page, auto-submit page, parkflow's landing page
  });

  test("Parking+Plus: pay page, its form's POST redirected (303) to parkflow's return page", async () => {
    const linked = await stack.api('/v1/accounts', {
      body: { provider: 'parkingplus', grant: 'password', username: 'csp-browser@example.com', password: 'sekret' },
    });
    const started = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID() },
      body: { provider: 'parkingplus', accountId: linked.body.accountId, securedParkingId: 187, plate: 'cj-02-csp' },
    });
    const id: string = started.body.id;
    await fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${started.body.upstream.reference}/gate`, { method: 'POST' });
    expect((await stack.api(`/v1/journeys/${id}/enter`, { body: {} })).body.state).toBe('active');
    expect((await stack.api(`/v1/journeys/${id}/finalize`, { body: {} })).body.state).toBe('awaiting_payment');
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });

    const watched = await watchedPage();
    await watched.page.goto(pay.body.redirectUrl);
    expect(watched.documents[0]!.csp).toContain(`form-action 'self' ${stack.service.apiUrl}`);
    await watched.page.fill('#card_number', '9900004810225098');
    await watched.page.fill('#cvv', '111');
    await watched.page.click('#pay');
    await watched.page.waitForURL(new RegExp(`/v1/returns/parkingplus/${id}`), { timeout: 15_000 });
    expect(await watched.page.textContent('#result')).toBe('Payment sent');
    await expectClean(watched, 2);
  });
});
