import { type HistoryAndWorkflowId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { payOnHostedPage } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// A whole LinkC journey through HTTP against the dev server, with the garage's transaction
// validity window set to 3 seconds in the simulator, so the expiry path runs for real.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({}, { linkcTransactionValiditySeconds: 3 });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const start = (body: Record<string, unknown>) => stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', ...body } });
const stateIs = (id: string, state: string) => eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === state ? true : undefined), 20_000, state);

describe('LinkC journey through HTTP (3-second transaction window)', () => {
  test('look up, pay on the hosted page, registered with LinkC, the car leaves', async () => {
    const started = await start({ localizador: '1234567890' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ provider: 'linkc', state: 'awaiting_payment', amount: { currency: 'BRL' }, upstream: { localizador: '1234567890' } });
    const id = started.body.id;

    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    expect(pay.status).toBe(200);
    expect(pay.body).toMatchObject({ status: 'pending', method: 'mobilpay' });
    await payOnHostedPage(stack, pay.body, '9900004810225098');
    await stateIs(id, 'paid');

    const stay = stack.linkc.stays.get('1234567890')!;
    expect(stay.pagoMinor).toBeGreaterThan(0);
    expect(stack.linkc.paymentRequests.filter((r) => r.outcome === 'registered')).toHaveLength(1);

    expect((await stack.api(`/v1/journeys/${id}/exit`, { body: {} })).body.state).toBe('exiting');
    expect((await fetch(`${linkcUrl()}/__sandbox/estadias/1234567890/saida`, { method: 'POST' })).status).toBe(200);
    await stateIs(id, 'completed');
  });

  test('the window lapses: looked up again for a new transaction, then paid and registered — never an expired id', async () => {
    const started = await start({ placa: 'QRS4321' });
    const id = started.body.id;
    const firstValidity = started.body.deadlines.transactionValidUntil;
    await new Promise((r) => setTimeout(r, 3500));
    const relooked = await eventually(async () => {
      const view = (await stack.api(`/v1/journeys/${id}`)).body;
      return view.deadlines.transactionValidUntil !== firstValidity ? view : undefined;
    });
    expect(relooked.state).toBe('awaiting_payment');

    // EPX settles in its merchant account's currency (USD): a BRL stay is refused before any order.
    const viaEpx = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'epx' } });
    expect(viaEpx.status).toBe(422);
    expect(viaEpx.body.type).toContain('currency-not-accepted');
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    await payOnHostedPage(stack, pay.body, '9900004810225098');
    await stateIs(id, 'paid');
    expect(stack.linkc.paymentRequests.some((r) => r.outcome === 'expired')).toBe(false);
    expect(stack.mobilPay.ledger.holdingOrdersByJourney()[id]).toBe(1);
    const stay = [...stack.linkc.stays.values()].find((s) => s.placa === 'QRS4321')!;
    expect(stack.mobilPay.ledger.heldByJourney()[id]).toEqual({ BRL: stay.pagoMinor });
  });

  test('two POST /pay at once, and a third 100 ms later, share one order; the money kept is what LinkC booked', async () => {
    const started = await start({ localizador: '1234567891' });
    const id = started.body.id;
    const pay = () => stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    const [a, b] = await Promise.all([pay(), pay()]);
    await new Promise((r) => setTimeout(r, 100));
    const c = await pay();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(new Set([a.body.paymentId, b.body.paymentId, c.body.paymentId])).toEqual(new Set([`${id}.1`]));
    expect([...stack.mobilPay.orders.keys()].filter((k) => k.startsWith(`${id}.`))).toEqual([`${id}.1`]);
    await payOnHostedPage(stack, a.body, '9900004810225098');
    await stateIs(id, 'paid');
    expect(stack.mobilPay.ledger.heldByJourney()[id]).toEqual({ BRL: stack.linkc.stays.get('1234567891')!.pagoMinor });
  });

  test('upstream 404 → 404 "stay not found in the yard"; upstream 400 → 422 naming the field', async () => {
    const ticket = await start({ localizador: '9000001' });
    expect(ticket.status).toBe(404);
    expect(ticket.type).toContain('application/problem+json');
    expect(ticket.body.detail).toBe('stay not found in the yard');
    expect((await start({ placa: 'ZZZ9999' })).status).toBe(404);

    const partner = await start({ localizador: '1234567', parceiroId: 99 });
    expect(partner.status).toBe(422);
    expect(partner.body.errors).toEqual([expect.objectContaining({ field: 'parceiroId' })]);
    const osa = await start({ placa: 'ABC1234', parceiroId: 2 });
    expect(osa.status).toBe(422);
    expect(osa.body.errors).toEqual([expect.objectContaining({ field: 'placa' })]);

    const both = await start({ localizador: '1', placa: 'ABC1234' });
    expect(both.status).toBe(400);
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});

test('the histories of this run replay cleanly', async () => {
  const histories: HistoryAndWorkflowId[] = [];
  for await (const item of stack.service.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories()) histories.push(item);
  expect(histories.length).toBeGreaterThanOrEqual(4);
  for await (const result of Worker.runReplayHistories(await replayOptions(), histories)) {
    expect({ workflowId: result.workflowId, error: result.error?.message }).toEqual({ workflowId: result.workflowId, error: undefined });
  }
});

function linkcUrl(): string {
  return stack.config.LINKC_BASE_URL.replace(/\/$/, '');
}
