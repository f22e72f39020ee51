import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { eventually, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// Model-based testing of the Parking+Plus journey state machine through the HTTP API of the whole
// stack in this process (dev server, simulators, worker, API). fast-check draws short sequences of
// steps — start (again with the same key, and with another body), enter, the car at the gate,
// finalize, pay (twice at once too), the driver on the hosted page (a declined card, a good one, a
// good one whose return is lost while the backend cancels), exit, the car out, cancel, refresh, get, steps retried with their Idempotency-Key, the driver's
// Parking+Plus credentials revoked (the journey waits in needs_reauth) and the account linked again —
// in any order, wrong ones included. Each command knows from a small model what the API must answer
// (status, body, problem type) and updates the model; fast-check shrinks a failing sequence.

const SEED = Number(process.env.JOURNEY_MODEL_SEED ?? 20_261_124);
const NUM_RUNS = Number(process.env.JOURNEY_MODEL_RUNS ?? 20);
const GOOD_CARD = '9900004810225098';
const DECLINED_CARD = '9900541631437790';

type State = 'entering' | 'active' | 'awaiting_payment' | 'paid' | 'exiting' | 'completed' | 'cancelled' | 'needs_reauth';
type Step = 'enter' | 'finalize' | 'pay' | 'exit' | 'cancel';
const TERMINAL: readonly State[] = ['completed', 'cancelled'];
/** The states in which the journey looks at Parking+Plus by itself (and so finds revoked credentials). */
const LOOKING: readonly State[] = ['entering', 'awaiting_payment', 'paid', 'exiting'];

/** What the journey must be, as far as the API's caller can tell. */
interface Model {
  state?: State;
  /** The states the journey's timeline must list, in order (finalizing included). */
  timeline: string[];
  /** The hosted page declined a card and no good one has come since. */
  declined: boolean;
  /** Steps sent with an Idempotency-Key and answered 200: a retry answers the same. */
  keyedSteps: number;
  /** Parking+Plus revoked the driver's tokens and the account was not linked again since. */
  revoked: boolean;
  /** Where a journey in needs_reauth goes back to once the account is linked again. */
  resumeIn?: State;
}

/** The system under test for one sequence: its own driver, account and journey. */
interface Real {
  stack: Stack;
  accountId: string;
  username: string;
  key: string;
  body: Record<string, unknown>;
  id?: string;
  sessionId?: number;
  firstAnswer?: unknown;
  redirectUrl?: string;
  /** Keyed steps and their first answers. */
  keyed: Array<{ step: Step; key: string; body: unknown; answer: unknown }>;
}

type Answer = Awaited<ReturnType<Stack['api']>>;

const terminal = (m: Model) => m.state !== undefined && TERMINAL.includes(m.state);

function expectProblem(res: Answer, status: number, type?: string): void {
  expect({ status: res.status, contentType: res.type }).toEqual({ status, contentType: expect.stringContaining('application/problem+json') });
  if (type) expect(res.body.type).toBe(`https://parkflow.dev/problems/${type}`);
}

/** A step the journey's state does not allow: 409, wrong state while running, ended once finished. */
function expectRefused(m: Model, res: Answer): void {
  expectProblem(res, 409, terminal(m) ? 'journey-ended' : 'wrong-state');
}

function moveTo(m: Model, ...states: string[]): void {
  m.state = states[states.length - 1] as State;
  m.timeline.push(...states);
}

const stateOf = async (r: Real) => (await r.stack.api(`/v1/journeys/${r.id}`)).body;
const waitFor = <T>(what: string, check: () => Promise<T | undefined>) => eventually(check, 20_000, what);

async function step(r: Real, name: Step, body: unknown, key?: string): Promise<Answer> {
  const res = await r.stack.api(`/v1/journeys/${r.id}/${name}`, { body, headers: key ? { 'idempotency-key': key } : {} });
  if (key && res.status === 200) r.keyed.push({ step: name, key, body, answer: res.body });
  return res;
}

class Start implements fc.AsyncCommand<Model, Real> {
  constructor(readonly variant: 'first' | 'same key and body' | 'same key, other body') {}
  check = (m: Readonly<Model>) => (this.variant === 'first' ? m.state === undefined : m.state !== undefined);
  async run(m: Model, r: Real): Promise<void> {
    const body = this.variant === 'same key, other body' ? { ...r.body, securedParkingId: 188 } : r.body;
    const res = await r.stack.api('/v1/journeys', { headers: { 'idempotency-key': r.key }, body });
    if (this.variant === 'same key, other body') return expectProblem(res, 422, 'idempotency-key-reused');
    expect(res.status).toBe(201);
    if (this.variant === 'same key and body') return expect(res.body).toEqual(r.firstAnswer);
    expect(res.body).toMatchObject({ provider: 'parkingplus', state: 'entering', keys: { entrance: { kind: 'entrance' } } });
    Object.assign(r, { id: res.body.id, sessionId: Number(res.body.upstream.reference), firstAnswer: res.body });
    moveTo(m, 'entering');
  }
  toString = () => `start(${this.variant})`;
}

class Enter implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyed: boolean) {}
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await step(r, 'enter', {}, this.keyed ? randomUUID() : undefined);
    if (m.state !== 'entering') return expectRefused(m, res);
    // The car has not come through the gate: the session is still entering upstream.
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('entering');
    if (this.keyed) m.keyedSteps += 1;
  }
  toString = () => `enter(${this.keyed ? 'keyed' : ''})`;
}

/** The car at the entrance; with `enter`, the backend says so at once (racing the journey's own look). */
class EntranceGate implements fc.AsyncCommand<Model, Real> {
  constructor(readonly enter: boolean) {}
  check = (m: Readonly<Model>) => m.state === 'entering';
  async run(m: Model, r: Real): Promise<void> {
    const gate = await fetch(`${r.stack.parkingPlusServer.url}/__sandbox/parking_sessions/${r.sessionId}/gate`, { method: 'POST' });
    expect(gate.status).toBe(200);
    if (this.enter) {
      const res = await step(r, 'enter', {});
      // The journey may have looked first (it polls): then it is active already and the step is late.
      if (res.status === 200) expect(res.body.state).toBe('active');
      else expectProblem(res, 409, 'wrong-state');
    }
    await waitFor('active', async () => ((await stateOf(r)).state === 'active' ? true : undefined));
    moveTo(m, 'active');
  }
  toString = () => `entranceGate(${this.enter ? 'then enter' : ''})`;
}

class Finalize implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyed: boolean) {}
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await step(r, 'finalize', {}, this.keyed ? randomUUID() : undefined);
    if (m.state !== 'active') return expectRefused(m, res);
    if (m.revoked) {
      // Parking+Plus refuses the driver's tokens: the journey waits for the account to be linked again.
      expectProblem(res, 409, 'auth-expired');
      await waitFor('needs_reauth', async () => ((await stateOf(r)).state === 'needs_reauth' ? true : undefined));
      m.resumeIn = 'active';
      return moveTo(m, 'finalizing', 'active', 'needs_reauth');
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'awaiting_payment', amount: { currency: 'RON' }, payment: { method: 'parkingplus', status: 'pending' } });
    expect(res.body.deadlines.exitBy).toBe(res.body.keys.exit.validUntil);
    r.redirectUrl = res.body.payment.redirectUrl;
    moveTo(m, 'finalizing', 'awaiting_payment');
    if (this.keyed) m.keyedSteps += 1;
  }
  toString = () => `finalize(${this.keyed ? 'keyed' : ''})`;
}

class Pay implements fc.AsyncCommand<Model, Real> {
  constructor(readonly times: 1 | 2) {}
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const answers = await Promise.all(Array.from({ length: this.times }, () => step(r, 'pay', {})));
    for (const res of answers) {
      if (m.state !== 'awaiting_payment') {
        expectRefused(m, res);
        continue;
      }
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ method: 'parkingplus', redirectUrl: r.redirectUrl, status: m.declined ? 'declined' : 'pending' });
    }
  }
  toString = () => `pay(×${this.times})`;
}

/**
 * The driver on Parking+Plus's pay page: the card, then the page sends the browser back to parkflow.
 * Or the return is lost and the backend cancels at once: Parking+Plus is asked first, so the journey
 * is paid, never cancelled with the driver's money taken.
 */
class PayOnHostedPage implements fc.AsyncCommand<Model, Real> {
  constructor(readonly card: 'good' | 'declined' | 'good, then cancel') {}
  check = (m: Readonly<Model>) => m.state === 'awaiting_payment';
  async run(m: Model, r: Real): Promise<void> {
    const page = await fetch(r.redirectUrl!);
    expect(page.status).toBe(200);
    const paid = await fetch(r.redirectUrl!, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ processor: 'mobilpay', card_number: this.card === 'declined' ? DECLINED_CARD : GOOD_CARD, exp_date: '12/30', cvv: '111' }),
    });
    expect(paid.status).toBe(303);
    if (this.card === 'good, then cancel') {
      expectProblem(await step(r, 'cancel', { reason: 'changed my mind' }), 409, 'wrong-state');
    } else {
      expect((await fetch(paid.headers.get('location')!)).status).toBe(200);
    }
    if (this.card === 'declined') {
      await waitFor('declined', async () => ((await stateOf(r)).payment?.status === 'declined' ? true : undefined));
      m.declined = true;
      return;
    }
    await waitFor('paid', async () => ((await stateOf(r)).state === 'paid' ? true : undefined));
    m.declined = false;
    moveTo(m, 'paid');
  }
  toString = () => `payOnHostedPage(${this.card})`;
}

class Exit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyed: boolean) {}
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await step(r, 'exit', {}, this.keyed ? randomUUID() : undefined);
    if (m.state !== 'paid' && m.state !== 'exiting') return expectRefused(m, res);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('exiting');
    if (m.state === 'paid') moveTo(m, 'exiting');
    if (this.keyed) m.keyedSteps += 1;
  }
  toString = () => `exit(${this.keyed ? 'keyed' : ''})`;
}

class ExitGate implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state === 'exiting';
  async run(m: Model, r: Real): Promise<void> {
    const gate = await fetch(`${r.stack.parkingPlusServer.url}/__sandbox/parking_sessions/${r.sessionId}/gate`, { method: 'POST' });
    expect(gate.status).toBe(200);
    await waitFor('completed', async () => ((await stateOf(r)).state === 'completed' ? true : undefined));
    moveTo(m, 'completed');
  }
  toString = () => 'exitGate';
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyed: boolean) {}
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await step(r, 'cancel', { reason: 'model' }, this.keyed ? randomUUID() : undefined);
    if (!cancellable(m)) return expectRefused(m, res);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('cancelled');
    moveTo(m, 'cancelled');
    if (this.keyed) m.keyedSteps += 1;
  }
  toString = () => `cancel(${this.keyed ? 'keyed' : ''})`;
}

/** Cancel: while nothing is paid, and in needs_reauth when it interrupted entering or active. */
const cancellable = (m: Readonly<Model>) =>
  m.state === 'entering' ||
  m.state === 'active' ||
  m.state === 'awaiting_payment' ||
  (m.state === 'needs_reauth' && (m.resumeIn === 'entering' || m.resumeIn === 'active'));
const allowed = (m: Readonly<Model>, name: Exclude<Step, 'pay'>) =>
  name === 'cancel' ? cancellable(m) : ({ enter: ['entering'], finalize: ['active'], exit: ['paid', 'exiting'] }[name] as string[]).includes(m.state!);

/** The same step twice at once (a double click, a retry racing the first): the journey takes it once. */
class StepTwiceAtOnce implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Exclude<Step, 'pay'>) {}
  // A finalize with revoked credentials is Finalize's.
  check = (m: Readonly<Model>) => m.state !== undefined && !(this.name === 'finalize' && m.revoked);
  async run(m: Model, r: Real): Promise<void> {
    const answers = await Promise.all([step(r, this.name, {}), step(r, this.name, {})]);
    if (!allowed(m, this.name)) return answers.forEach((res) => expectRefused(m, res));
    const statuses = answers.map((res) => res.status).sort();
    const won = answers.find((res) => res.status === 200)!;
    const lost = answers.find((res) => res.status !== 200);
    if (this.name === 'enter' || this.name === 'exit') {
      // Neither moves the journey past where the step is still allowed (the car is not through the gate).
      expect(statuses).toEqual([200, 200]);
      expect(answers.map((res) => res.body.state)).toEqual(this.name === 'enter' ? ['entering', 'entering'] : ['exiting', 'exiting']);
      if (m.state === 'paid') moveTo(m, 'exiting');
      return;
    }
    expect(statuses).toEqual([200, 409]);
    if (this.name === 'finalize') {
      expectProblem(lost!, 409, 'wrong-state');
      expect(won.body.state).toBe('awaiting_payment');
      r.redirectUrl = won.body.payment.redirectUrl;
      return moveTo(m, 'finalizing', 'awaiting_payment');
    }
    // The loser finds the journey cancelled, running still or closed already.
    expectProblem(lost!, 409);
    expect(['wrong-state', 'journey-ended'].map((t) => `https://parkflow.dev/problems/${t}`)).toContain(lost!.body.type);
    expect(won.body.state).toBe('cancelled');
    moveTo(m, 'cancelled');
  }
  toString = () => `${this.name}(twice at once)`;
}

class Refresh implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.stack.api(`/v1/journeys/${r.id}/refresh`, { body: {} });
    if (terminal(m)) return expectProblem(res, 409, 'journey-ended');
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(r.id);
  }
  toString = () => 'refresh';
}

class Get implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.stack.api(`/v1/journeys/${r.id}`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe(m.state);
    expect(res.body.timeline.map((t: { state: string }) => t.state)).toEqual(m.timeline);
    if (m.state === 'awaiting_payment') expect(res.body.payment.status).toBe(m.declined ? 'declined' : 'pending');
    if (m.state === 'paid' || m.state === 'exiting' || m.state === 'completed') expect(res.body.payment.status).toBe('captured');
  }
  toString = () => 'get';
}

/** A backend retries a step it sent with an Idempotency-Key (its answer was lost): the first answer again. */
class RetryKeyedStep implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.keyedSteps > 0;
  async run(_m: Model, r: Real): Promise<void> {
    const first = r.keyed[this.pick % r.keyed.length]!;
    const res = await r.stack.api(`/v1/journeys/${r.id}/${first.step}`, { body: first.body, headers: { 'idempotency-key': first.key } });
    expect({ step: first.step, status: res.status, body: res.body }).toEqual({ step: first.step, status: 200, body: first.answer });
  }
  toString = () => `retryKeyedStep(${this.pick})`;
}

/** Parking+Plus expires the driver's access token and revokes the refresh token (a password change, say). */
class RevokeCredentials implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state !== undefined && !terminal(m) && !m.revoked;
  async run(m: Model, r: Real): Promise<void> {
    const sandbox = r.stack.parkingPlusServer.url;
    expect((await fetch(`${sandbox}/__sandbox/tokens/expire`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${sandbox}/__sandbox/refresh-tokens/revoke`, { method: 'POST' })).status).toBe(204);
    m.revoked = true;
    if (!LOOKING.includes(m.state!)) return; // active: nothing looks until a step does
    await waitFor('needs_reauth', async () => ((await stateOf(r)).state === 'needs_reauth' ? true : undefined));
    m.resumeIn = m.state;
    moveTo(m, 'needs_reauth');
  }
  toString = () => 'revokeCredentials';
}

/** The driver links the account again (the same e-mail and password): a journey in needs_reauth goes on. */
class Relink implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: r.username, password: 'sekret' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accountId: r.accountId, status: 'linked' });
    m.revoked = false;
    if (m.state !== 'needs_reauth') return;
    const back = m.resumeIn!;
    await waitFor(back, async () => ((await stateOf(r)).state === back ? true : undefined));
    m.resumeIn = undefined;
    moveTo(m, back);
  }
  toString = () => 'relink';
}

/** The next step of a journey that goes well (a card may still be declined), whatever its state. */
class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly enter: boolean,
    readonly card: PayOnHostedPage['card'],
    readonly keyed: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.state !== undefined && !terminal(m);
  run(m: Model, r: Real): Promise<void> {
    if (m.revoked) return new Relink().run(m, r);
    const next = {
      entering: new EntranceGate(this.enter),
      active: new Finalize(this.keyed),
      awaiting_payment: new PayOnHostedPage(this.card),
      paid: new Exit(this.keyed),
      exiting: new ExitGate(),
    }[m.state as Exclude<State, 'completed' | 'cancelled' | 'needs_reauth'>];
    return next.run(m, r);
  }
  toString = () => `advance(${this.enter ? 'enter, ' : ''}${this.card} card${this.keyed ? ', keyed' : ''})`;
}

// The next step comes most often, any step in any state less, cancel (the end of the sequence's
// journey) least: sequences get to the end of a journey, with wrong steps all along the way.
const command = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.boolean(), fc.nat(3), fc.boolean())
      .map(([enter, card, keyed]) => new Advance(enter, card === 0 ? 'declined' : card === 1 ? 'good, then cancel' : 'good', keyed)),
  },
  { weight: 2, arbitrary: fc.constantFrom('same key and body', 'same key, other body').map((v) => new Start(v as Start['variant'])) },
  { weight: 2, arbitrary: fc.boolean().map((keyed) => new Enter(keyed)) },
  { weight: 2, arbitrary: fc.boolean().map((keyed) => new Finalize(keyed)) },
  { weight: 2, arbitrary: fc.constantFrom<1 | 2>(1, 2).map((times) => new Pay(times)) },
  { weight: 2, arbitrary: fc.boolean().map((keyed) => new Exit(keyed)) },
  { weight: 2, arbitrary: fc.boolean().map((keyed) => new Cancel(keyed)) },
  { weight: 2, arbitrary: fc.constant(new Refresh()) },
  { weight: 2, arbitrary: fc.constant(new Get()) },
  { weight: 2, arbitrary: fc.nat(7).map((pick) => new RetryKeyedStep(pick)) },
  { weight: 1, arbitrary: fc.constant(new RevokeCredentials()) },
  { weight: 1, arbitrary: fc.constant(new Relink()) },
  { weight: 2, arbitrary: fc.constantFrom('enter', 'finalize', 'exit', 'cancel').map((name) => new StepTwiceAtOnce(name as StepTwiceAtOnce['name'])) },
);

let stack: Stack;
let drivers = 0;

beforeAll(async () => {
  // Quotas and limits out of the way: the sequences poll, and every run is one tenant.
  stack = await startStack({
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    TENANT_STARTS_PER_MINUTE: '1000000',
    TENANT_PAYS_PER_MINUTE: '1000000',
    PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
  });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

/** A driver of its own and a fresh model for one sequence (Parking+Plus lets a driver have one session in progress). */
async function setupFor(): Promise<() => { model: Model; real: Real }> {
  const username = `model-${++drivers}@example.com`;
  const linked = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username, password: 'sekret' } });
  expect(linked.status).toBe(201);
  const accountId: string = linked.body.accountId;
  return () => ({
    model: { timeline: [], declined: false, keyedSteps: 0, revoked: false },
    real: { stack, accountId, username, key: randomUUID(), body: { provider: 'parkingplus', accountId, securedParkingId: 187 }, keyed: [] },
  });
}

/** Every sequence starts the journey; what follows is drawn. */
function* started(cmds: Iterable<fc.AsyncCommand<Model, Real>>) {
  yield new Start('first');
  yield* cmds;
}

test('Parking+Plus journeys answer every sequence of steps as the state machine says', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands([command], { maxCommands: 30, size: 'medium' }), async (cmds) => {
      await fc.asyncModelRun(await setupFor(), started(cmds));
    }),
    { seed: SEED, numRuns: NUM_RUNS, verbose: 1 },
  );
}, 600_000);

// Counterexamples the model found (each failed before its fix), kept as they were shrunk.
test('a refresh within a second of the previous one, on a journey cancelled meanwhile, is 409 (not 202 coalesced)', async () => {
  await fc.asyncModelRun(await setupFor(), started([new Refresh(), new Cancel(false), new Refresh()]));
});

test('the same Idempotency-Key and body answer the first answer after the account needs linking again (not 422)', async () => {
  await fc.asyncModelRun(await setupFor(), started([new RevokeCredentials(), new Start('same key and body')]));
});

test('the same Idempotency-Key with another body is 422 idempotency-key-reused after the account needs linking again', async () => {
  await fc.asyncModelRun(await setupFor(), started([new RevokeCredentials(), new Start('same key, other body')]));
});

test('credentials revoked after the account was linked again: needs_reauth once, not back and forth', async () => {
  await fc.asyncModelRun(await setupFor(), started([new Relink(), new RevokeCredentials(), new Get()]));
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
