import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { getPayment, paymentWorkflowId } from '../../src/workflows/payment-messages';
import { payOnHostedPage } from '../support/payments';
import { firstWorkflowTask, resetTo, type HistoryEvent } from '../support/reset';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// An operator may reset any workflow to any point (README, "Operations"). Here: a paid LinkC
// journey reset to before its pay, with its transaction id still valid and after it lapsed, and
// its payment workflow reset to its start. Whatever the reset replays or re-opens, the money the
// processor holds for the journey ends equal to what LinkC booked, nothing is refunded, and the
// reset run's history replays against the code (the earlier code failed it: TMPRL1100).

let stack: Stack;
const WINDOW_SECONDS = 15;

beforeAll(async () => {
  stack = await startStack({}, { linkcTransactionValiditySeconds: WINDOW_SECONDS });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const stateIs = (id: string, state: string) => eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === state ? true : undefined), 30_000, state);
const refundsOf = (id: string) => stack.mobilPay.ledger.entries.filter((e) => e.kind === 'refund' && e.reference.startsWith(`${id}.`));

/** A LinkC journey looked up, paid on the hosted page, registered: `paid`. */
async function paidJourney(localizador: string): Promise<string> {
  const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', localizador } });
  expect(started.status).toBe(201);
  const id: string = started.body.id;
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
  await payOnHostedPage(stack, pay.body, '9900004810225098');
  await stateIs(id, 'paid');
  return id;
}


/** The last completed workflow task before the pay update was accepted. */
const beforePay = (events: HistoryEvent[]) => {
  const pay = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'pay');
  return events.slice(0, pay).reverse().find((e) => e.workflowTaskCompletedEventAttributes)!;
};

/** Money kept = money booked, nothing refunded, and the run replays. */
async function expectMoneyKeptAsBooked(id: string, localizador: string): Promise<void> {
  const booked = stack.linkc.stays.get(localizador)!.pagoMinor;
  expect(booked).toBeGreaterThan(0);
  expect(stack.mobilPay.ledger.heldByJourney()[id]).toEqual({ BRL: booked });
  expect(stack.mobilPay.ledger.holdingOrdersByJourney()[id]).toBe(1);
  expect(refundsOf(id)).toEqual([]);
  expect(stack.linkc.paymentRequests.filter((r) => r.outcome === 'registered' && stack.linkc.transactions.get(r.transacao)?.localizador === localizador)).toHaveLength(1);
  for (const workflowId of [id, paymentWorkflowId(`${id}.1`)]) {
    const handle = stack.env.client.workflow.getHandle(workflowId);
    await expect(Worker.runReplayHistory(await replayOptions(), await handle.fetchHistory(), workflowId)).resolves.toBeUndefined();
  }
}

describe('resetting a paid LinkC journey keeps exactly the money LinkC booked', () => {
  test('reset to before the pay, the transaction id still valid: the re-opened order is the same capture, registered once', async () => {
    const id = await paidJourney('7100000001');
    await resetTo(stack.env.client, id, beforePay);
    await stateIs(id, 'paid');
    await new Promise((r) => setTimeout(r, 2_000)); // let the reset run finish what it does
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('paid');
    await expectMoneyKeptAsBooked(id, '7100000001');
  });

  test('reset to before the pay after the transaction id lapsed: nothing refunded, LinkC still shows it paid', async () => {
    const id = await paidJourney('7100000002');
    await new Promise((r) => setTimeout(r, (WINDOW_SECONDS + 1) * 1000));
    await resetTo(stack.env.client, id, beforePay);
    await stateIs(id, 'paid');
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('paid');
    await expectMoneyKeptAsBooked(id, '7100000002');
  }, 60_000);

  test("reset of the journey's payment workflow to its start: the same capture again, nothing refunded", async () => {
    const id = await paidJourney('7100000003');
    const payment = await resetTo(stack.env.client, paymentWorkflowId(`${id}.1`), firstWorkflowTask);
    await eventually(async () => ((await payment.query(getPayment)).status === 'captured' ? true : undefined), 15_000, 'captured');
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('paid');
    await expectMoneyKeptAsBooked(id, '7100000003');
  });

  test('the car leaves after a reset: completed, money as booked', async () => {
    const id = await paidJourney('7100000004');
    await resetTo(stack.env.client, id, beforePay);
    await stateIs(id, 'paid');
    expect((await fetch(`${stack.config.LINKC_BASE_URL}/__sandbox/estadias/7100000004/saida`, { method: 'POST' })).status).toBe(200);
    await stateIs(id, 'completed');
    await expectMoneyKeptAsBooked(id, '7100000004');
  });
});


test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
