import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { epxClient, mobilPayClient, parkingPlusClient } from '../../src/activities';
import { createPaymentActivities } from '../../src/activities/payments';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { SecretBox } from '../../src/domain/sealed';
import { createLogger } from '../../src/logger';
import { listen } from '../../src/sandbox/harness';
import { fromMinorUnits } from '../../src/domain/money';
import { type EpxSandbox } from '../../src/sandbox/epx/app';
import { type MobilPaySandbox } from '../../src/sandbox/mobilpay/app';
import { payment } from '../../src/workflows';
import { type PaymentView } from '../../src/workflows/messages';
import { openPayment, paymentOrderId, paymentWorkflowId, type PaymentInput } from '../../src/workflows/payment-messages';
import { freePort } from '../../scripts/free-port';
import { epxUrlSettings } from './stack';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './temporal';

/** Starts one payment attempt the way a journey (or the API) does: Update-with-Start, first answer = the hosted page. */
export async function startPayment(
  client: Client,
  taskQueue: string,
  input: PaymentInput,
): Promise<{ view: PaymentView; workflowId: string }> {
  const workflowId = paymentWorkflowId(paymentOrderId(input.journeyId, input.attempt));
  const view = await client.workflow.executeUpdateWithStart(openPayment, {
    startWorkflowOperation: new WithStartWorkflowOperation(payment, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    }),
  });
  return { view, workflowId };
}

/** The driver types a card on the processor's hosted page (what the browser test does for real). */
export async function payOnHostedPage(
  sims: { mobilPay: MobilPaySandbox; epx: EpxSandbox },
  view: PaymentView,
  cardNumber: string,
  options: { deliver?: number } = {},
) {
  if (view.method === 'mobilpay') {
    const ntpID = new URL(view.redirectUrl).pathname.split('/').pop()!;
    return sims.mobilPay.payWithCard(ntpID, cardNumber, '111');
  }
  // The hosted form posts what its link carries (TAC, 4-part key) with the card.
  const link = Object.fromEntries(new URL(view.redirectUrl).searchParams);
  const tx = sims.epx.transactions.get(link.TAC!)!;
  const result = sims.epx.browserPost({
    ...link,
    TRAN_NBR: tx.tranNbr,
    AMOUNT: fromMinorUnits(tx.amountMinor),
    ACCOUNT_NBR: cardNumber,
    EXP_DATE: '3012',
  });
  if ('error' in result) throw new Error(`EPX refused: ${result.error}`);
  // The browser carries the redirect to parkflow (0 times = a lost redirect; 2 = a replay).
  for (let i = 0; i < (options.deliver ?? 1); i++) await postRedirect(result.redirectUrl, result.fields);
  return result;
}

export async function postRedirect(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

/**
 * The processors' simulators, the API (for their notifications) and a payment worker on a
 * time-skipping test server: what the payment workflow tests run against.
 */
export async function startPaymentHarness(sims: { mobilPay: MobilPaySandbox; epx: EpxSandbox }, taskQueue: string) {
  const env = await timeSkippingEnv();
  const apiPort = await freePort();
  const servers = [await listen(sims.mobilPay.app, 0), await listen(sims.epx.app, 0)];
  const config = loadConfig({
    NODE_ENV: 'test',
    MOBILPAY_BASE_URL: servers[0]!.url,
    ...epxUrlSettings(servers[1]!.url),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    API_KEYS: 'test:payments-test-key',
  });
  const app = createApp({
    config,
    temporal: env.client,
    logger: createLogger('silent'),
    box: new SecretBox(config.PARKFLOW_SECRET_KEY),
    parkingPlus: parkingPlusClient(config),
  });
  servers.push(await listen(app, apiPort));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: createPaymentActivities({
      mobilpay: mobilPayClient(config),
      epx: epxClient(config),
      publicBaseUrl: config.PUBLIC_BASE_URL,
    }),
  });
  const running = worker.run();
  return {
    env,
    stop: async () => {
      worker.shutdown();
      await running;
      await Promise.all(servers.map((s) => s.close()));
      await env.teardown();
    },
  };
}

/**
 * The driver pays on Parking+Plus's own page (pay_url) with the simulator's good card, and the WebView
 * follows the page's redirect back to parkflow's return_url (which asks the journey to look now).
 */
export async function payOnParkingPlusPage(payUrl: string): Promise<void> {
  const paid = await fetch(payUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' }),
  });
  await fetch(new URL(paid.headers.get('location')!));
}
