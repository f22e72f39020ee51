import { type TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createEpxSandbox } from '../src/sandbox/epx/app';
import { createMobilPaySandbox } from '../src/sandbox/mobilpay/app';
import { type PaymentView } from '../src/workflows/messages';
import { getPayment, type PaymentInput } from '../src/workflows/payment-messages';
import { payOnHostedPage, startPayment, startPaymentHarness } from './support/payments';

// Property: whatever the interleaving of payments (good or declined cards, on any attempt's
// page), lost or duplicated notifications, the passing of deadlines and retries with the other
// processor, the processors' ledgers hold at most one net capture per journey — and exactly one
// when the journey saw a capture.

let env: TestWorkflowEnvironment;
const mobilPay = createMobilPaySandbox({ notifyRetry: { attempts: 2, delayMs: 20 } });
const epx = createEpxSandbox();
let harness: Awaited<ReturnType<typeof startPaymentHarness>> | undefined;
const taskQueue = `payment-property-${randomUUID()}`;
const MINUTE = 60_000;

beforeAll(async () => {
  harness = await startPaymentHarness({ mobilPay, epx }, taskQueue);
  env = harness.env;
}, 60_000);
afterAll(() => harness?.stop());

type Action =
  | { kind: 'pay'; good: boolean; which: number }
  | { kind: 'drop' }
  | { kind: 'duplicate' }
  | { kind: 'advance'; minutes: number }
  | { kind: 'retry' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), good: fc.boolean(), which: fc.nat({ max: 3 }) }),
  fc.constant({ kind: 'drop' as const }),
  fc.constant({ kind: 'duplicate' as const }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 150 }) }),
  fc.constant({ kind: 'retry' as const }),
);

test('captures − refunds ≤ 1 per journey, whatever the interleaving', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 7 }), fc.constantFrom<'mobilpay' | 'epx'>('mobilpay', 'epx'), async (actions, firstMethod) => {
      const journeyId = `journey-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      const attempts: Array<{ view: PaymentView; workflowId: string }> = [];
      const open = async (method: 'mobilpay' | 'epx') => {
        const input: PaymentInput = {
          journeyId,
          attempt: attempts.length + 1,
          method,
          amount: { value: '7.25', currency: 'RON' },
          dueAt: new Date((await env.currentTimeMs()) + 20 * MINUTE).toISOString(),
          description: 'property',
          polling: { firstMs: 2 * MINUTE, maxMs: 5 * MINUTE },
        };
        attempts.push(await startPayment(env.client, taskQueue, input));
      };
      await open(firstMethod);
      let drop = false;
      let duplicate = false;

      for (const step of actions) {
        if (step.kind === 'drop') drop = true;
        else if (step.kind === 'duplicate') duplicate = true;
        else if (step.kind === 'advance') {
          await env.sleep(step.minutes * MINUTE);
          // the processors' clocks move with the workflows' (an EPX TAC expires after 4 hours)
          mobilPay.clock.advance(step.minutes * MINUTE);
          epx.clock.advance(step.minutes * MINUTE);
        }
        else if (step.kind === 'retry') {
          const last = attempts.at(-1)!;
          const { status, method } = await env.client.workflow.getHandle(last.workflowId).query(getPayment);
          if (status === 'declined' || status === 'expired') await open(method === 'mobilpay' ? 'epx' : 'mobilpay');
        } else {
          const target = attempts[step.which % attempts.length]!;
          const card = target.view.method === 'mobilpay' ? (step.good ? '9900004810225098' : '9900518572831942') : step.good ? '4000000000000002' : '4000000000000051';
          if (target.view.method === 'mobilpay') mobilPay.notifier.controls = { ...mobilPay.notifier.controls, dropNext: drop ? 1 : 0, duplicateNext: duplicate ? 1 : 0 };
          try {
            await payOnHostedPage({ mobilPay, epx }, target.view, card, { deliver: drop ? 0 : duplicate ? 2 : 1 });
          } catch {
            // a used or expired TAC: the hosted page refuses, as EPX does
          }
          drop = duplicate = false;
        }
      }

      const results: PaymentView[] = [];
      for (const a of attempts) results.push(await env.client.workflow.getHandle(a.workflowId).result());
      const net = (mobilPay.ledger.holdingOrdersByJourney()[journeyId] ?? 0) + (epx.ledger.holdingOrdersByJourney()[journeyId] ?? 0);
      expect(net).toBeGreaterThanOrEqual(0);
      expect(net).toBeLessThanOrEqual(1);
      expect(net).toBe(results.filter((r) => r.status === 'captured').length);
    }),
    { numRuns: 25, endOnFailure: true, timeout: 30_000 },
  );
}, 300_000);
