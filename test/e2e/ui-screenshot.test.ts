import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { payOnHostedPage } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// The operator's view: the dev server's Web UI, its codec endpoint parkflow's /codec. Signed in
// (the session cookie), the UI decodes a journey's encrypted history and shows its plate and
// amounts; without the sign-in it shows ciphertext only. The screenshot goes into docs/.

const SCREENSHOT = path.resolve(__dirname, '../../docs/temporal-ui-decoded-history.png');
const LIST_SCREENSHOT = path.resolve(__dirname, '../../docs/temporal-ui-journey-list.png');
const PLATE = 'UIP4K21';
/** The workflow list's columns: the journey search attributes after the UI's own first ones (stored per browser). */
const COLUMNS = ['Status', 'Workflow ID', 'Type', 'JourneyProvider', 'JourneyState', 'JourneyReference', 'JourneyDeadline', 'Start', 'End'];

let stack: Stack;
let browser: Browser;
let journeyId: string;

beforeAll(async () => {
  stack = await startStack({}, { ui: true });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await endOfSuite(stack, { extra: [PLATE] });
});

/**
 * A browser context whose Temporal UI calls parkflow's codec with credentials: the UI's Codec Server
 * settings ("Use my browser setting", endpoint, "Include cross-origin credentials") live in its
 * localStorage, as does the workflow list's column choice.
 */
async function operatorContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, colorScheme: 'light' });
  const settings = {
    endpoint: JSON.stringify(`${stack.service.apiUrl}/codec`),
    includeCredentials: 'true',
    overrideRemoteCodecConfiguration: 'true',
    'namespace-workflow-table-columns': JSON.stringify({ [stack.config.TEMPORAL_NAMESPACE]: COLUMNS.map((label) => ({ label })) }),
  };
  // Runs in the page before the UI's own scripts (the test's TypeScript has no DOM types, hence a script text).
  await context.addInitScript({
    content: `if (location.origin === ${JSON.stringify(stack.uiUrl)}) for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v);`,
  });
  return context;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${stack.service.apiUrl}/codec/sign-in`);
  await page.fill('input[name="operatorKey"]', stack.config.PARKFLOW_OPERATOR_KEYS[0]!);
  await page.click('button[type="submit"]');
  await page.waitForSelector('#signed-in');
}

async function openHistory(page: Page): Promise<void> {
  const { runId } = await stack.service.temporal.workflow.getHandle(journeyId).describe();
  await page.goto(`${stack.uiUrl}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows/${journeyId}/${runId}/history`);
  await page.waitForSelector(`text=${journeyId}`, { timeout: 30_000 });
}

test('a LinkC journey, from the look-up by plate to the car leaving', async () => {
  const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', placa: PLATE } });
  expect(started.body.state).toBe('awaiting_payment');
  journeyId = started.body.id;
  const pay = await stack.api(`/v1/journeys/${journeyId}/pay`, { body: { method: 'mobilpay' } });
  await payOnHostedPage(stack, pay.body, '9900004810225098');
  await eventually(async () => ((await stack.api(`/v1/journeys/${journeyId}`)).body.state === 'paid' ? true : undefined), 20_000, 'paid');
  await stack.api(`/v1/journeys/${journeyId}/exit`, { body: {} });
  const exit = await fetch(`${stack.config.LINKC_BASE_URL.replace(/\/$/, '')}/__sandbox/estadias/${started.body.upstream.localizador}/saida`, { method: 'POST' });
  expect(exit.status).toBe(200);
  await eventually(async () => ((await stack.api(`/v1/journeys/${journeyId}`)).body.state === 'completed' ? true : undefined), 20_000, 'completed');
});

test('signed in, the operator reads the decoded history in the Temporal UI; the list shows the journey attributes as columns', async () => {
  const context = await operatorContext();
  try {
    const page = await context.newPage();
    await signIn(page);

    await page.goto(`${stack.uiUrl}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent("JourneyTenant = 'e2e'")}`);
    const row = page.locator('tr', { hasText: journeyId });
    await row.waitFor({ timeout: 30_000 });
    for (const column of ['JourneyProvider', 'JourneyState', 'JourneyReference']) await expect(page.locator('th', { hasText: column }).count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toMatch(/linkc[\s\S]*completed/);
    mkdirSync(path.dirname(LIST_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: LIST_SCREENSHOT });

    await openHistory(page);
    // Decoded through /codec: the plate (in the input, the memo and the result) and the journey's end state.
    await page.getByText(PLATE).first().waitFor({ timeout: 30_000 });
    await expect(page.getByText('"completed"').count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The memo's summary, decoded too (workflow page → Memo).
    await page.getByText('Memo', { exact: true }).click();
    await page.getByText('amountPaid').first().waitFor({ timeout: 15_000 });
    await expect(page.getByText(PLATE).count()).resolves.toBeGreaterThan(0);
  } finally {
    await context.close();
  }
  const png = readFileSync(SCREENSHOT);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  expect(statSync(SCREENSHOT).mtimeMs).toBeGreaterThan(Date.now() - 120_000);
});

test('without the sign-in, the same UI shows no clear payload: the codec refuses, the plate is nowhere on the page', async () => {
  const context = await operatorContext();
  try {
    const page = await context.newPage();
    const refused: number[] = [];
    page.on('response', (res) => void (res.url().startsWith(`${stack.service.apiUrl}/codec/decode`) && refused.push(res.status())));
    await openHistory(page);
    await eventually(async () => (refused.length > 0 ? true : undefined), 30_000, 'a codec call');
    await page.waitForTimeout(2_000); // let the UI render whatever it shows instead
    expect(new Set(refused)).toEqual(new Set([401]));
    expect(await page.content()).not.toContain(PLATE);
  } finally {
    await context.close();
  }
});
