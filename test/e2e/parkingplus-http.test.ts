import { type Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { eventually, OTHER_API_KEY, startStack, type Stack } from '../support/stack';
import { replayOptions, testDataConverter } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

async function linkDriver(email: string): Promise<string> {
  const res = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: email, password: 'sekret' } });
  expect(res.status).toBe(201);
  return res.body.accountId;
}

/** Every string in a history, with payload bytes decoded to text. */
const codec = testDataConverter().payloadCodecs![0]!;

/** Every payload of a history as text, decrypted as an operator at the codec endpoint would read it. */
async function payloadText(value: unknown): Promise<string> {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return (await Promise.all(value.map(payloadText))).join(' ');
  if (value && typeof value === 'object') {
    if ('metadata' in value && 'data' in value) {
      const [clear] = await codec.decode([value as Payload]);
      return Buffer.from(clear!.data ?? []).toString('utf8');
    }
    return (await Promise.all(Object.values(value).map(payloadText))).join(' ');
  }
  return typeof value === 'string' ? value : '';
}

const gate = (sessionId: number | string) => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${sessionId}/gate`, { method: 'POST' });

describe('Parking+Plus journey through HTTP against the dev server', () => {
  test('a full journey: start, enter, finalize, pay on the hosted page, exit, completed', async () => {
    const accountId = await linkDriver('full-journey@example.com');
    const started = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID() },
      body: { provider: 'parkingplus', accountId, securedParkingId: 187, plate: 'cj-01-abc' },
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ provider: 'parkingplus', state: 'entering', plate: 'CJ-01-ABC', keys: { entrance: { kind: 'entrance', remainingTries: 10 } } });
    const id: string = started.body.id;
    expect(id).toMatch(/^journey-e2e-[a-f0-9]{20}$/);

    expect((await gate(started.body.upstream.reference)).status).toBe(200);
    const entered = await stack.api(`/v1/journeys/${id}/enter`, { body: {} });
    expect(entered.body.state).toBe('active');

    const finalized = await stack.api(`/v1/journeys/${id}/finalize`, { body: {} });
    expect(finalized.status).toBe(200);
    expect(finalized.body).toMatchObject({ state: 'awaiting_payment', amount: { value: '5.00', currency: 'RON' }, payment: { method: 'parkingplus', status: 'pending' } });
    expect(finalized.body.deadlines.exitBy).toBe(finalized.body.keys.exit.validUntil);

    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });
    expect(pay.body.redirectUrl).toBe(finalized.body.payment.redirectUrl);
    const page = await fetch(pay.body.redirectUrl);
    expect(await page.text()).toContain('<form method="post"');
    const paid = await fetch(pay.body.redirectUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' }),
    });
    // The pay page sends the WebView back to the journey's return_url (Base64 in pay_url) with the order's id.
    expect(paid.status).toBe(303);
    const back = new URL(paid.headers.get('location')!);
    expect(back.pathname).toBe(`/v1/returns/parkingplus/${id}`);
    expect(back.searchParams.get('id')).toBe(finalized.body.payment.paymentId);
    expect((await fetch(back)).status).toBe(200);

    await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === 'paid' ? true : undefined), 15_000, 'paid');
    const exiting = await stack.api(`/v1/journeys/${id}/exit`, { body: {} });
    expect(exiting.body.state).toBe('exiting');
    expect((await gate(started.body.upstream.reference)).status).toBe(200);
    const done = await eventually(async () => {
      const view = (await stack.api(`/v1/journeys/${id}`)).body;
      return view.state === 'completed' ? view : undefined;
    });
    expect(done.payment.status).toBe('captured');
    expect(done.timeline.map((t: { state: string }) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid', 'exiting', 'completed']);

    const listed = await eventually(async () => {
      const res = await stack.api('/v1/journeys?state=completed&provider=parkingplus');
      return res.body.journeys?.find((j: { id: string }) => j.id === id);
    });
    expect(listed).toMatchObject({ provider: 'parkingplus', state: 'completed', plate: 'CJ-01-ABC' });
  });

  test('event subscriptions refuse loopback, private and metadata targets (SSRF) with a problem naming url', async () => {
    for (const url of ['https://127.0.0.1/events', 'https://localhost:8443/events', 'https://169.254.169.254/latest', 'https://10.0.0.7/hook', 'http://93.184.216.34/hook']) {
      const res = await stack.api('/v1/subscriptions', { body: { url, events: ['journey.paid'] } });
      expect(res.status).toBe(422);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
    expect((await stack.api('/v1/subscriptions')).body).toEqual({ subscriptions: [] });
  });

  test('idempotent start: same key and body → same journey and answer; another body → 422; no key → 400', async () => {
    const accountId = await linkDriver('idempotent@example.com');
    const key = randomUUID();
    const body = { provider: 'parkingplus', accountId, securedParkingId: 188 };
    const [first, second] = await Promise.all([
      stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body }),
      stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body }),
    ]);
    // Two at once: one is answered; the other is either the same answer or 409 (still in flight).
    const answered = [first, second].filter((r) => r.status === 201);
    expect(answered.length).toBeGreaterThanOrEqual(1);
    for (const r of [first, second]) expect([201, 409]).toContain(r.status);

    const again = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body: { securedParkingId: 188, accountId, provider: 'parkingplus' } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(answered[0]!.body);
    expect(stack.parkingPlus.world.sessions.size).toBeGreaterThan(0);
    const sessionsOfDriver = [...stack.parkingPlus.world.sessions.values()].filter((s) => s.email === 'idempotent@example.com');
    expect(sessionsOfDriver).toHaveLength(1);

    const other = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body: { ...body, securedParkingId: 187 } });
    expect(other.status).toBe(422);
    expect(other.type).toContain('application/problem+json');

    const missing = await stack.api('/v1/journeys', { body });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'required' }]);

    const cancelled = await stack.api(`/v1/journeys/${again.body.id}/cancel`, { body: { reason: 'changed my mind' } });
    expect(cancelled.body.state).toBe('cancelled');
    // A finished journey still answers its key with the first answer.
    const afterEnd = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body });
    expect(afterEnd.status).toBe(201);
    expect(afterEnd.body).toEqual(answered[0]!.body);
  });

  test('bad input gets a 4xx problem+json naming the fields, never a 5xx', async () => {
    const accountId = await linkDriver('bad-input@example.com');
    const otherAccountId = await linkDriver('bad-input-2@example.com');
    const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'parkingplus', accountId, securedParkingId: 187 } });
    const id = started.body.id;
    const key = () => ({ 'idempotency-key': randomUUID() });
    const cases: Array<{ name: string; path: string; init: Parameters<Stack['api']>[1]; status: number; field?: string }> = [
      { name: 'empty body', path: '/v1/journeys', init: { headers: key(), body: {} }, status: 400, field: 'provider' },
      { name: 'missing securedParkingId', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId } }, status: 400, field: 'securedParkingId' },
      { name: 'wrong type', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId, securedParkingId: '187' } }, status: 400, field: 'securedParkingId' },
      { name: 'negative id', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId, securedParkingId: -1 } }, status: 400, field: 'securedParkingId' },
      { name: 'unknown provider', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkopolis', accountId, securedParkingId: 187 } }, status: 400, field: 'provider' },
      { name: 'unknown field', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId, securedParkingId: 187, amount: '0.01' } }, status: 400 },
      { name: 'malformed JSON', path: '/v1/journeys', init: { headers: key(), rawBody: '{"provider": "parkingplus",' }, status: 400, field: '(body)' },
      { name: 'JSON array', path: '/v1/journeys', init: { headers: key(), rawBody: '[1,2]' }, status: 400 },
      { name: 'bad plate', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId, securedParkingId: 187, plate: '<script>' } }, status: 400, field: 'plate' },
      { name: 'unknown account', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId: `account-parkingplus-e2e-${'0'.repeat(20)}`, securedParkingId: 187 } }, status: 422, field: 'accountId' },
      { name: 'unknown secured parking', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId: otherAccountId, securedParkingId: 999999 } }, status: 404 },
      { name: 'driver already parked', path: '/v1/journeys', init: { headers: key(), body: { provider: 'parkingplus', accountId, securedParkingId: 188 } }, status: 422 },
      { name: 'too long Idempotency-Key', path: '/v1/journeys', init: { headers: { 'idempotency-key': 'k'.repeat(300) }, body: {} }, status: 400, field: 'Idempotency-Key' },
      { name: 'no API key', path: '/v1/journeys', init: { headers: { 'x-api-key': '' }, body: {} }, status: 401 },
      { name: 'unknown journey', path: `/v1/journeys/journey-e2e-${'0'.repeat(20)}`, init: {}, status: 404 },
      { name: 'not a journey id', path: '/v1/journeys/account-parkingplus-00', init: {}, status: 404 },
      { name: 'wrong-state step', path: `/v1/journeys/${id}/finalize`, init: { body: {} }, status: 409 },
      { name: 'step with junk', path: `/v1/journeys/${id}/pay`, init: { body: { method: 'cash' } }, status: 400, field: 'method' },
      { name: 'unknown step', path: `/v1/journeys/${id}/teleport`, init: { body: {} }, status: 404 },
      { name: 'JSON sent as text/plain', path: '/v1/journeys', init: { headers: { ...key(), 'content-type': 'text/plain' }, rawBody: JSON.stringify({ provider: 'parkingplus', accountId, securedParkingId: 187 }) }, status: 415, field: 'Content-Type' },
      { name: "another tenant's journey id", path: `/v1/journeys/${String(id).replace('journey-e2e-', 'journey-other-')}`, init: {}, status: 404 },
      { name: 'bad list filter', path: '/v1/journeys?state=flying', init: {}, status: 400, field: 'state' },
      { name: 'wrong password', path: '/v1/accounts', init: { body: { provider: 'parkingplus', grant: 'password', username: 'user@example.com', password: 'nope' } }, status: 422, field: 'password' },
      { name: 'account without grant', path: '/v1/accounts', init: { body: { provider: 'parkingplus', username: 'user@example.com' } }, status: 400, field: 'grant' },
    ];
    for (const c of cases) {
      const res = await stack.api(c.path, c.init);
      expect({ case: c.name, status: res.status }).toEqual({ case: c.name, status: c.status });
      expect({ case: c.name, type: res.type }).toEqual({ case: c.name, type: expect.stringContaining('application/problem+json') });
      if (c.field) expect({ case: c.name, fields: res.body.errors?.map((e: { field: string }) => e.field) }).toEqual({ case: c.name, fields: expect.arrayContaining([c.field]) });
    }
    // the journey the bad requests aimed at is untouched
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('entering');

    // another backend service (another API key) cannot see or drive it
    const other = { 'x-api-key': OTHER_API_KEY };
    expect((await stack.api(`/v1/journeys/${id}`, { headers: other })).status).toBe(404);
    expect((await stack.api(`/v1/journeys/${id}/cancel`, { headers: other, body: {} })).status).toBe(404);
    expect((await stack.api(`/v1/accounts/${accountId}`, { headers: other })).status).toBe(404);
    const withTheirAccount = await stack.api('/v1/journeys', { headers: { ...other, 'idempotency-key': randomUUID() }, body: { provider: 'parkingplus', accountId, securedParkingId: 187 } });
    expect(withTheirAccount.status).toBe(422);
    const listed = await stack.api('/v1/journeys?provider=parkingplus', { headers: other });
    expect(listed.body.journeys.some((j: { id: string }) => j.id === id)).toBe(false);
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('entering');
  });

  test('waiting for a state: answered at the transition, at the timeout, at once when reached or ended; a bad wait is 400', async () => {
    const accountId = await linkDriver('wait-for@example.com');
    const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'parkingplus', accountId, securedParkingId: 187 } });
    expect(started.status).toBe(201);
    const id: string = started.body.id;
    const handle = stack.service.temporal.workflow.getHandle(id);
    const waitsSent = async () =>
      ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'waitFor').length;

    const timedOut = await stack.api(`/v1/journeys/${id}?waitFor=paid&timeout=1`);
    expect(timedOut).toMatchObject({ status: 200, body: { id, state: 'entering' }, headers: { 'parkflow-wait': 'timeout' } });
    expect(await waitsSent()).toBe(1);

    // Already reached: answered from the read, no wait sent to the journey.
    const reached = await stack.api(`/v1/journeys/${id}?waitFor=entering`);
    expect(reached).toMatchObject({ status: 200, body: { id, state: 'entering' }, headers: { 'parkflow-wait': 'reached' } });
    expect(await waitsSent()).toBe(1);

    // The GET waits in the journey (its update accepted) while the car goes in; the journey's own look sees it.
    const waiting = stack.api(`/v1/journeys/${id}?waitFor=active&timeout=30`);
    await eventually(async () => ((await waitsSent()) === 2 ? true : undefined), 10_000, 'the wait accepted');
    expect((await gate(started.body.upstream.reference)).status).toBe(200);
    const entered = await waiting;
    expect(entered).toMatchObject({ status: 200, body: { id, state: 'active' }, headers: { 'parkflow-wait': 'reached' } });

    // Ended, its run closed: at once, whatever the state asked for.
    expect((await stack.api(`/v1/journeys/${id}/cancel`, { body: {} })).body.state).toBe('cancelled');
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 10_000, 'the run closed');
    const ended = await stack.api(`/v1/journeys/${id}?waitFor=paid&timeout=30`);
    expect(ended).toMatchObject({ status: 200, body: { id, state: 'cancelled' }, headers: { 'parkflow-wait': 'reached' } });
    expect(await waitsSent()).toBe(2);

    const bad: Array<[string, string]> = [
      ['waitFor=parked', 'waitFor'],
      ['waitFor=paid&timeout=0', 'timeout'],
      ['waitFor=paid&timeout=31', 'timeout'],
      ['waitFor=paid&timeout=2.5', 'timeout'],
      ['waitFor=paid&timeout=soon', 'timeout'],
      ['timeout=5', 'timeout'],
    ];
    for (const [query, field] of bad) {
      const res = await stack.api(`/v1/journeys/${id}?${query}`);
      expect({ query, status: res.status, type: res.type }).toEqual({ query, status: 400, type: expect.stringContaining('application/problem+json') });
      expect({ query, fields: res.body.errors?.map((e: { field: string }) => e.field) }).toEqual({ query, fields: [field] });
    }
    expect(await waitsSent()).toBe(2);
  });

  test('health, readiness, OpenAPI and docs', async () => {
    expect((await stack.api('/healthz')).status).toBe(200);
    expect((await stack.api('/readyz')).body).toEqual({ status: 'ready' });
    const spec = (await stack.api('/openapi.json')).body;
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/journeys', '/v1/journeys/{id}', '/v1/journeys/{id}/finalize', '/v1/accounts']));
    expect(spec.components.schemas.Journey).toBeDefined();
    const docs = await fetch(`${stack.service.apiUrl!}/docs/`);
    expect(docs.status).toBe(200);
  });

  test('every answer of this suite is what /openapi.json says', async () => {
    expect(await stack.contractViolations()).toEqual([]);
  });

  test('the histories of this run replay cleanly against the workflow code', async () => {
    const histories = stack.service.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories();
    const collected = [];
    for await (const item of histories) collected.push(item);
    expect(collected.length).toBeGreaterThanOrEqual(5);

    const results = [];
    for await (const result of Worker.runReplayHistories(await replayOptions(), collected)) {
      results.push({ workflowId: result.workflowId, error: result.error?.message });
    }
    expect(results).toEqual(collected.map((c) => ({ workflowId: c.workflowId, error: undefined })));

    // No token or password in clear anywhere in any history, payloads decoded.
    const text = (await Promise.all(collected.map((c) => payloadText(c.history)))).join('\n');
    const secrets = [...stack.parkingPlus.world.accessTokens.keys(), ...stack.parkingPlus.world.refreshTokens.keys(), 'sekret'];
    expect(secrets.length).toBeGreaterThan(8);
    expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
    const logs = stack.logs.join('\n');
    expect(secrets.filter((secret) => logs.includes(secret))).toEqual([]);
    expect(text).toContain('"accessToken":"v1.'); // sealed, not absent, even to an operator who decodes the payloads
  });
});
