import { createHash, randomUUID } from 'node:crypto';
import { journeyIdFor } from '../../src/domain/tenants';
import { API_KEY, OTHER_API_KEY, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// The HTTP contract as a backend service and an attacker see it: tenants, idempotency after a
// failed first step, honest 409/415/503 answers, and every answer as /openapi.json says.

const ROTATED_KEY = 'e2e-rotated-key-0001';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ API_KEYS: `e2e:${API_KEY},e2e:${ROTATED_KEY},other:${OTHER_API_KEY}` });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

const as = (key: string) => ({ 'x-api-key': key });
const linkcFault = (rule: object) =>
  fetch(`${stack.config.LINKC_BASE_URL}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
const freshTicket = () => String(1_000_000_000 + Math.floor(Math.random() * 3_000_000_000));

describe('tenants', () => {
  test("another tenant's accounts and journeys are unknown to it; a rotated key of the same tenant sees them", async () => {
    const link = (key: string) =>
      stack.api('/v1/accounts', { headers: as(key), body: { provider: 'parkingplus', grant: 'password', username: 'Tenant.Driver@example.com', password: 'sekret' } });
    const mine = await link(API_KEY);
    expect(mine.status).toBe(201);
    const accountId: string = mine.body.accountId;
    expect(accountId).toMatch(/^account-parkingplus-e2e-[a-f0-9]{20}$/);
    // not derivable from the e-mail: neither its plain hash nor the same id for another tenant
    expect(accountId).not.toContain(createHash('sha256').update('tenant.driver@example.com').digest('hex').slice(0, 20));
    const theirs = await link(OTHER_API_KEY);
    expect(theirs.body.accountId).toMatch(/^account-parkingplus-other-/);
    expect(theirs.body.accountId.slice(-20)).not.toBe(accountId.slice(-20));

    expect((await stack.api(`/v1/accounts/${accountId}`, { headers: as(OTHER_API_KEY) })).status).toBe(404);
    expect((await stack.api(`/v1/accounts/${accountId}`, { headers: as(ROTATED_KEY) })).status).toBe(200);

    const sessionsBefore = stack.parkingPlus.world.sessions.size;
    const stolen = await stack.api('/v1/journeys', {
      headers: { ...as(OTHER_API_KEY), 'idempotency-key': randomUUID() },
      body: { provider: 'parkingplus', accountId, securedParkingId: 187 },
    });
    expect(stolen.status).toBe(422);
    expect(stolen.body.errors).toEqual([{ field: 'accountId', message: 'unknown account' }]);
    expect(stack.parkingPlus.world.sessions.size).toBe(sessionsBefore); // no session opened on the driver's account

    const key = randomUUID();
    const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body: { provider: 'linkc', localizador: freshTicket() } });
    expect(started.status).toBe(201);
    const id: string = started.body.id;
    expect(id).toMatch(/^journey-e2e-[a-f0-9]{20}$/);
    expect((await stack.api(`/v1/journeys/${id}`, { headers: as(OTHER_API_KEY) })).status).toBe(404);
    expect((await stack.api(`/v1/journeys/${id}/cancel`, { headers: as(OTHER_API_KEY), body: {} })).status).toBe(404);
    // the same Idempotency-Key under another key of the same tenant is the same journey
    const rotated = await stack.api('/v1/journeys', {
      headers: { ...as(ROTATED_KEY), 'idempotency-key': key },
      body: { provider: 'linkc', localizador: started.body.upstream.localizador },
    });
    expect(rotated.body.id).toBe(id);

    const listedBy = async (apiKey: string) => {
      for (let i = 0; i < 50; i++) {
        const journeys: Array<{ id: string }> = (await stack.api('/v1/journeys?provider=linkc', { headers: as(apiKey) })).body.journeys;
        if (apiKey === OTHER_API_KEY || journeys.some((j) => j.id === id)) return journeys.map((j) => j.id);
        await new Promise((r) => setTimeout(r, 200));
      }
      return [];
    };
    expect(await listedBy(ROTATED_KEY)).toContain(id);
    expect(await listedBy(OTHER_API_KEY)).not.toContain(id);
  });
});

describe('idempotency', () => {
  test('a key whose journey failed at its first step starts a fresh journey when sent again', async () => {
    const key = randomUUID();
    const body = { provider: 'linkc', localizador: freshTicket() };
    await linkcFault({ path: '/api/estadias', status: 404, times: 1 });
    const failed = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body });
    expect(failed.status).toBe(404);

    const retried = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ provider: 'linkc', state: 'awaiting_payment' });
    const again = await stack.api('/v1/journeys', { headers: { 'idempotency-key': key }, body });
    expect(again.body).toEqual(retried.body);
    const runs = [];
    for await (const run of stack.service.temporal.workflow.list({ query: `WorkflowId = '${retried.body.id}'` })) runs.push(run.status.name);
    expect(runs.sort()).toEqual(['FAILED', 'RUNNING']);
  });
});

describe('honest answers', () => {
  test('a step the operator does not take, or on a finished journey, is 409; a body not sent as JSON is 415', async () => {
    const started = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', localizador: freshTicket() } });
    const id: string = started.body.id;
    for (const step of ['enter', 'finalize']) {
      const res = await stack.api(`/v1/journeys/${id}/${step}`, { body: {} });
      expect(res.status).toBe(409);
      expect(res.body.detail).toBe(`a linkc journey takes no "${step}" step; its steps are: pay, exit, cancel`);
    }
    const asText = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID(), 'content-type': 'text/plain' },
      rawBody: JSON.stringify({ provider: 'linkc', localizador: freshTicket() }),
    });
    expect(asText.status).toBe(415);
    expect(asText.type).toContain('application/problem+json');
    const noType = await fetch(`${stack.service.apiUrl!}/v1/journeys/${id}/cancel`, { method: 'POST', headers: as(API_KEY), body: '{}' });
    expect(noType.status).toBe(415);

    const put = await stack.api(`/v1/journeys/${id}`, { method: 'PUT', body: {} });
    expect({ status: put.status, allow: stack.responses.at(-1)!.headers.allow }).toEqual({ status: 405, allow: 'GET' });

    // a step without a body needs no content type
    const cancelled = await fetch(`${stack.service.apiUrl!}/v1/journeys/${id}/cancel`, { method: 'POST', headers: as(API_KEY) });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { state: string }).state).toBe('cancelled');
    await stack.api(`/v1/journeys/${id}`); // recorded for the contract check
    for (const step of ['pay', 'exit', 'cancel']) {
      const res = await stack.api(`/v1/journeys/${id}/${step}`, { body: {} });
      expect({ step, status: res.status, type: res.body.type }).toEqual({ step, status: 409, type: expect.stringMatching(/journey-ended$/) });
    }
    expect((await stack.api(`/v1/journeys/${id}`)).body.state).toBe('cancelled');
  });

  test('every answer of this suite is what /openapi.json says', async () => {
    expect(stack.responses.length).toBeGreaterThan(20);
    expect(await stack.contractViolations()).toEqual([]);
  });
});

describe('without a worker', () => {
  let apiOnly: Stack;
  beforeAll(async () => {
    apiOnly = await startStack({ PARKFLOW_ROLE: 'api', API_READ_DEADLINE_MS: '1000', API_STEP_DEADLINE_MS: '2000' });
  }, 120_000);
  afterAll(async () => {
    await apiOnly?.stop();
  });

  test('starts, reads and steps answer 503 with Retry-After within the deadline, and a retry later is answered', async () => {
    const timed = async (path: string, init?: Parameters<Stack['api']>[1]) => {
      const began = Date.now();
      const res = await apiOnly.api(path, init);
      return { ...res, ms: Date.now() - began };
    };
    const key = randomUUID();
    const start = await timed('/v1/journeys', { headers: { 'idempotency-key': key }, body: { provider: 'linkc', localizador: freshTicket() } });
    expect(start).toMatchObject({ status: 503, body: { type: expect.stringMatching(/temporarily-unavailable$/) } });
    expect(start.ms).toBeLessThan(5_000);

    const journeyId = journeyIdFor('e2e', key); // started, waiting for a worker
    const read = await timed(`/v1/journeys/${journeyId}`);
    expect(read.status).toBe(503);
    expect(read.ms).toBeLessThan(4_000);
    const step = await timed(`/v1/journeys/${journeyId}/pay`, { body: {} });
    expect(step.status).toBe(503);
    expect(step.ms).toBeLessThan(5_000);
    for (const res of apiOnly.responses.filter((r) => r.status === 503)) expect(res.headers['retry-after']).toBe('2');
    expect(await apiOnly.contractViolations()).toEqual([]);
  });
});
