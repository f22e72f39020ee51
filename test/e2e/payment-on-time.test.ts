import { randomUUID } from 'node:crypto';
import { type PaymentView } from '../../src/workflows/messages';
import { payOnHostedPage, startPayment } from '../support/payments';
import { startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// "On time" is when the money moved, not when we looked. On the dev server (real time, so the
// deadline's look lands a few milliseconds after the deadline, as in production): the IPN is
// lost, the card is paid after the last poll but before the deadline, and the only look is the
// one at the deadline. The earlier code refunded this payment and asked the driver to pay again.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

test.each(['mobilpay', 'epx'] as const)('%s: paid before the deadline, notification lost, found at the deadline → captured, kept', async (method) => {
  const journeyId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const { view, workflowId } = await startPayment(stack.env.client, stack.config.TEMPORAL_TASK_QUEUE, {
    journeyId,
    attempt: 1,
    method,
    amount: { value: '12.50', currency: 'RON' },
    dueAt: new Date(Date.now() + 3_000).toISOString(),
    description: 'on time',
    polling: { firstMs: 60_000, maxMs: 60_000 }, // no poll before the deadline's look
  });
  stack.mobilPay.notifier.controls.dropNext = 1;
  await new Promise((r) => setTimeout(r, 1_500));
  await payOnHostedPage(stack, view, method === 'mobilpay' ? '9900004810225098' : '4000000000000002', { deliver: 0 });
  const done: PaymentView = await stack.env.client.workflow.getHandle(workflowId).result();
  expect(done.status).toBe('captured');
  const sandbox = method === 'mobilpay' ? stack.mobilPay : stack.epx;
  expect(sandbox.ledger.heldByOrder()[`${journeyId}.1`]).toMatchObject({ capturedMinor: 1250, heldMinor: 1250 });
});
