import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { fromMinorUnits } from '../../src/domain/money';
import { type EpxSandbox } from '../../src/sandbox/epx/app';
import { type MobilPaySandbox } from '../../src/sandbox/mobilpay/app';
import { payment } from '../../src/workflows';
import { type PaymentView } from '../../src/workflows/messages';
import { openPayment, paymentOrderId, paymentWorkflowId, type PaymentInput } from '../../src/workflows/payment-messages';

/** Starts one payment attempt the way a journey (or the API) does: Update-with-Start, first answer = the hosted page. */
export async function startPayment(client: Client, taskQueue: string, input: PaymentInput): Promise<{ view: PaymentView; workflowId: string }> {
  const workflowId = paymentWorkflowId(paymentOrderId(input.journeyId, input.attempt));
  const view = await client.workflow.executeUpdateWithStart(openPayment, {
    startWorkflowOperation: new WithStartWorkflowOperation(payment, { workflowId, taskQueue, args: [input], workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING }),
  });
  return { view, workflowId };
}

/** The driver types a card on the processor's hosted page (what the browser test does for real). */
export async function payOnHostedPage(sims: { mobilPay: MobilPaySandbox; epx: EpxSandbox }, view: PaymentView, cardNumber: string, options: { deliver?: number } = {}) {
  if (view.method === 'mobilpay') {
    const ntpID = new URL(view.redirectUrl).pathname.split('/').pop()!;
    return sims.mobilPay.payWithCard(ntpID, cardNumber, '111');
  }
  const tac = new URL(view.redirectUrl).searchParams.get('TAC')!;
  const tx = [...sims.epx.transactions.values()].find((t) => t.tac === tac)!;
  const result = sims.epx.browserPost({ TAC: tac, TRAN_NBR: tx.tranNbr, AMOUNT: fromMinorUnits(tx.amountMinor), ACCOUNT_NBR: cardNumber });
  if ('error' in result) throw new Error(`EPX refused: ${result.error}`);
  // The browser carries the redirect to parkflow (0 times = a lost redirect; 2 = a replay).
  for (let i = 0; i < (options.deliver ?? 1); i++) await postRedirect(result.redirectUrl, result.fields);
  return result;
}

export async function postRedirect(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
}
