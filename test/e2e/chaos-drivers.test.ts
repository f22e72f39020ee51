import { driveJourney, newClientStats, type Abuse, type ChaosTargets, type JourneyPlan, type Processor, type Provider } from '../../scripts/chaos/journeys';
import { reconcile, type Reconciliation } from '../../scripts/chaos/reconcile';
import { endOfSuite } from '../support/end-of-suite';
import { API_KEY, eventually, startStack, type Stack } from '../support/stack';

// The chaos run's clients and its reconciliation, without the chaos: two journeys per provider
// (one per processor), every kind of client abuse, driven through the HTTP API of the in-process
// stack as a backend service would; then the books and Temporal must be clean.

let stack: Stack;

beforeAll(async () => {
  // The quotas are proven elsewhere: here the clients' abuse must reach the journeys.
  stack = await startStack({ API_RATE_LIMIT_PER_MINUTE: '100000', TENANT_STARTS_PER_MINUTE: '100000', TENANT_PAYS_PER_MINUTE: '100000' });
  await eventually(async () => ((await stack.api('/v1/ector/zones')).status === 200 ? true : undefined), 30_000, 'the zone cache');
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

const ALL_ABUSE: Abuse[] = ['concurrent-start-same-key', 'repeat-start-same-key', 'start-different-key', 'double-pay', 'concurrent-steps'];
const PROVIDERS: Provider[] = ['parkingplus', 'linkc', 'ector'];

function targetsOf(s: Stack): ChaosTargets {
  return {
    apiUrl: s.service.apiUrl!,
    apiKey: API_KEY,
    simulators: {
      parkingplus: s.parkingPlusServer.url,
      linkc: s.config.LINKC_BASE_URL,
      ector: s.config.ECTOR_BASE_URL,
      mobilpay: s.config.MOBILPAY_BASE_URL,
      epx: new URL(s.config.EPX_KEY_EXCHANGE_URL).origin,
    },
  };
}

test('two journeys per provider, both processors, every abuse: all driven to their end, the books and Temporal clean', async () => {
  const seed = `drivers-${Date.now()}`;
  const plans: JourneyPlan[] = PROVIDERS.flatMap((provider, p) =>
    (['mobilpay', 'epx'] as Processor[]).map((processor, k) => ({
      index: p * 2 + k,
      provider,
      processor,
      // The first of each provider is every kind of careless client; the second pays twice and races its steps.
      abuse: k === 0 ? ALL_ABUSE : (['double-pay', 'concurrent-steps'] as Abuse[]),
      seed,
    })),
  );
  const targets = targetsOf(stack);
  const stats = newClientStats();
  const deadlineMs = Date.now() + 50_000;
  const outcomes = await Promise.all(plans.map((plan) => driveJourney(targets, plan, stats, { deadlineMs })));

  expect(outcomes.map((o) => ({ index: o.index, done: o.done, error: o.error }))).toEqual(
    plans.map((p) => ({ index: p.index, done: true, error: undefined })),
  );
  expect(stats.serverErrors).toEqual([]);
  expect(stats.inFlight).toBe(0);
  // The abuse happened, and was answered as the contract says.
  const steps = (index: number) => outcomes[index]!.steps.join('\n');
  expect(steps(0)).toMatch(/start under another key: 422/); // a Parking+Plus driver parks once
  expect(outcomes[0]!.extraJourneyIds).toEqual([]);
  for (const index of [2, 4]) {
    expect(outcomes[index]!.extraJourneyIds).toHaveLength(1); // LinkC and Ector: a second journey, cancelled
    expect(steps(index)).toMatch(/cancel the other journey 200/);
  }
  for (const index of [0, 2, 4]) {
    expect(steps(index)).toMatch(/two starts at once/);
    expect(steps(index)).toMatch(/start repeated: 201 same journey/);
  }
  expect(steps(1)).toMatch(/with mobilpay: submitted[\s\S]*with epx|with epx: submitted[\s\S]*with mobilpay/); // both processors on one page
  for (const index of [3, 5]) expect(steps(index)).toMatch(/epx refused for the currency: mobilpay instead/); // EPX takes USD only
  expect(steps(1)).toMatch(/two finalize at once/);
  expect(steps(3)).toMatch(/two exit at once/);
  expect(stats.requests).toBeGreaterThan(100);

  // Money settles after the journeys' ends (a superseded attempt refunds what lands): read until it has.
  let reconciliation: Reconciliation | undefined;
  await eventually(
    async () => {
      reconciliation = await reconcile(stack.service.temporal, targets, outcomes, { events: 2_000, bytes: 2_000_000 });
      return reconciliation.moneyMismatch.length === 0 && reconciliation.stuck.length === 0 ? true : undefined;
    },
    20_000,
    'clean books',
  ).catch(() => undefined);
  const r = reconciliation!;
  expect({ lost: r.lost, stuck: r.stuck, chargedTwice: r.chargedTwice, moneyMismatch: r.moneyMismatch, overBudget: r.overBudget }).toEqual({
    lost: [],
    stuck: [],
    chargedTwice: [],
    moneyMismatch: [],
    overBudget: [],
  });
  expect(r.journeys).toBe(8);
  expect(r.states).toEqual({ completed: 4, paid: 2, cancelled: 2 });
  expect(r.keptMinor).toEqual(r.bookedMinor);
  expect(Object.keys(r.keptMinor).sort()).toEqual(['BRL', 'EUR', 'RON']);
  expect(Object.values(r.keptMinor).every((minor) => minor > 0)).toBe(true);
}, 85_000);
