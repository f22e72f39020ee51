import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createParkingPlusActivities, parkingPlusReturnUrl } from '../src/activities/parkingplus/activities';
import { ParkingPlusClient } from '../src/activities/parkingplus/client';
import { CurrentSession, FinalizedSession, TokenResponse } from '../src/activities/parkingplus/schemas';
import { TokenSource } from '../src/activities/tokens';
import { FailureType } from '../src/domain/failures';
import { SecretBox } from '../src/domain/sealed';
import { createParkingPlusSandbox, type ParkingPlusSandbox } from '../src/sandbox/parkingplus/app';
import { finalizedSnapshot, sessionSnapshot, type ParkingPlusFinalized } from '../src/activities/parkingplus/snapshot';
import { ONLINE_ONLY_PARKING_IDS, SANDBOX_DRIVER } from '../src/sandbox/parkingplus/model';
import { listen, type Listening } from '../src/sandbox/harness';
import { MemoryVault } from './support/memory-vault';
import { failure as failureOf } from './support/failure';

let sandbox: ParkingPlusSandbox;
let server: Listening;
let client: ParkingPlusClient;

beforeAll(async () => {
  sandbox = createParkingPlusSandbox();
  server = await listen(sandbox.app, 0);
  client = new ParkingPlusClient({ baseUrl: server.url, clientAppId: 'parkflow-sandbox-app', clientSecret: 'parkflow-sandbox-secret', timeoutMs: 2000 });
});
afterAll(() => server.close());
beforeEach(() => {
  sandbox.world.reset();
  sandbox.faults.clear();
});

async function linkedDriver() {
  const vault = new MemoryVault(client, await client.passwordGrant(SANDBOX_DRIVER.email, SANDBOX_DRIVER.password));
  return { vault, tokens: new TokenSource(vault) };
}

describe('Parking+Plus client against the simulator', () => {
  test('20 concurrent calls with an expired token share exactly one refresh request', async () => {
    const { vault, tokens } = await linkedDriver();
    await client.createSession(tokens, 187);
    await fetch(`${server.url}/__sandbox/tokens/expire`, { method: 'POST' });

    const sessions = await Promise.all(Array.from({ length: 20 }, () => client.currentSession(tokens)));

    expect(sessions.every((s) => s?.parking_session.state === 'entering')).toBe(true);
    expect(sandbox.world.grants.refresh_token).toBe(1);
    expect(vault.refreshes).toBe(1);
  });

  test('refresh rotates: the spent refresh token is revoked and reusing it is invalid_grant', async () => {
    const first = await client.passwordGrant(SANDBOX_DRIVER.email, SANDBOX_DRIVER.password);
    const second = await client.refreshGrant(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);

    const reused = await failureOf(client.refreshGrant(first.refreshToken));
    expect(reused.type).toBe(FailureType.AuthExpired);
    expect(reused.nonRetryable).toBe(true);
    await expect(client.refreshGrant(second.refreshToken)).resolves.toMatchObject({ email: SANDBOX_DRIVER.email });
  });

  test('a wrong password is a non-retryable AuthExpired that names no secret', async () => {
    const failure = await failureOf(client.passwordGrant(SANDBOX_DRIVER.email, 'wrong-password'));
    expect(failure.type).toBe(FailureType.AuthExpired);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('wrong-password');
  });

  test('a revoked refresh token after a 401 surfaces as AuthExpired', async () => {
    const { tokens } = await linkedDriver();
    await fetch(`${server.url}/__sandbox/tokens/expire`, { method: 'POST' });
    await fetch(`${server.url}/__sandbox/refresh-tokens/revoke`, { method: 'POST' });
    expect((await failureOf(client.currentSession(tokens))).type).toBe(FailureType.AuthExpired);
  });

  test('facebook2 login returns the token_info envelope', async () => {
    await expect(client.facebookGrant(SANDBOX_DRIVER.facebookAccessToken)).resolves.toMatchObject({ email: SANDBOX_DRIVER.email });
    expect((await failureOf(client.facebookGrant('not-a-facebook-token'))).type).toBe(FailureType.AuthExpired);
  });

  test('a whole session: entering, active, finalize (idempotent), paid, closed', async () => {
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 187);
    expect(created.parking_session).toMatchObject({ state: 'entering', type: 'pay_per_use', entrance_remaining_tries: 10 });
    expect(created.smart_key.type).toBe('session_access');

    // A second create is refused while one is open (the client looks up before creating).
    expect((await failureOf(client.createSession(tokens, 187))).type).toBe(FailureType.UpstreamRejected);

    await fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    sandbox.clock.advance(65 * 60_000);
    const finalized = await client.finalize(tokens, created.parking_session.id, 187);
    expect(finalized).toMatchObject({ amount: '10.00', currency: 'RON', parking_session: { state: 'exiting' } });
    const keyWindow = Date.parse(finalized.smart_key.end_time) - Date.parse(finalized.smart_key.start_time);
    expect(keyWindow).toBe(5 * 60_000);
    const again = await client.finalize(tokens, created.parking_session.id, 187);
    expect(again.pay_url).toBe(finalized.pay_url);
    expect(again.smart_key.access_command).toBe(finalized.smart_key.access_command);

    const orderId = /\/api\/payment\/pay\/(\d+)/.exec(finalized.pay_url)![1]!;
    expect(await client.paymentStatus(tokens, orderId)).toBe('pending');
    await fetch(`${server.url}/__sandbox/orders/${orderId}/outcome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'confirmed' }) });
    expect(await client.paymentStatus(tokens, orderId)).toBe('confirmed');

    const gate = await fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    expect(gate.status).toBe(200);
    expect(await client.currentSession(tokens)).toBeUndefined();
  });

  test('a lapsed exit key is replaced by finalizing again', async () => {
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 187);
    await fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    const first = await client.finalize(tokens, created.parking_session.id, 187);
    sandbox.clock.advance(6 * 60_000);
    const second = await client.finalize(tokens, created.parking_session.id, 187);
    expect(second.smart_key.access_command).not.toBe(first.smart_key.access_command);
    expect(Date.parse(second.smart_key.start_time)).toBeGreaterThan(Date.parse(first.smart_key.end_time));
    expect(second.amount).toBe(first.amount);
  });

  test('documented error codes: 400 missing parameter, 404 unknown parking, 422 wrong state', async () => {
    const { tokens } = await linkedDriver();
    expect((await failureOf(client.createSession(tokens, 999))).type).toBe(FailureType.UpstreamNotFound);
    const created = await client.createSession(tokens, 187);
    const early = await failureOf(client.finalize(tokens, created.parking_session.id, 187));
    expect(early.type).toBe(FailureType.UpstreamRejected);
    expect(early.message).toContain('422');
    expect((await failureOf(client.finalize(tokens, 424242, 187))).type).toBe(FailureType.UpstreamNotFound);
    const token = await tokens.current();
    const missing = await fetch(`${server.url}/api/car_driver/parking_sessions/${created.parking_session.id}/finalize`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(400);
  });

  test('5xx and timeouts are retryable UpstreamUnavailable failures', async () => {
    const { tokens } = await linkedDriver();
    sandbox.faults.add({ path: '/api/car_driver/parking_sessions/current', status: 503 });
    const unavailable = await failureOf(client.currentSession(tokens));
    expect(unavailable).toMatchObject({ type: FailureType.UpstreamUnavailable, nonRetryable: false });

    const slow = new ParkingPlusClient({ baseUrl: server.url, clientAppId: 'x', clientSecret: 'y', timeoutMs: 200 });
    sandbox.faults.add({ path: '/api/car_driver/parking_sessions/current', hang: true });
    const timedOut = await failureOf(slow.currentSession(tokens));
    expect(timedOut.type).toBe(FailureType.UpstreamUnavailable);
    expect(timedOut.message).toContain('no answer within 200 ms');
  });

  test("the seeds' example payloads pass the client's schemas", () => {
    const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parkingplus-seed-payloads.json'), 'utf8'));
    expect(TokenResponse.safeParse(fixtures.token).success).toBe(true);
    expect(FinalizedSession.safeParse(fixtures.finalize).success).toBe(true);
    expect(CurrentSession.safeParse(fixtures.current).success).toBe(true);
    // The simulator's own answers have the seed's keys, one for one.
    expect(Object.keys(fixtures.finalize).sort()).toEqual(['amount', 'currency', 'parking_session', 'pay_url', 'smart_key']);
  });
});

describe('openParkingPlusSession: a Parking+Plus session belongs to exactly one journey', () => {
  const box = new SecretBox(Buffer.alloc(32, 7).toString('base64'));
  const open = async (env: MockActivityEnvironment, tokens: TokenSource, extra: { resetRun?: boolean; before?: number } = {}) => {
    const activities = createParkingPlusActivities({ client, tokensFor: () => tokens, box, sessionBeforeReset: async () => extra.before });
    const input = { accountId: 'account-1', securedParkingId: 187, journeyStartedAt: new Date(Date.now() - 60_000).toISOString() };
    return env.run(activities.openParkingPlusSession, { ...input, ...(extra.resetRun ? { resetRun: true } : {}) });
  };
  const refusal = async (promise: Promise<unknown>) => {
    const failure = await failureOf(promise);
    expect(failure).toMatchObject({ type: FailureType.UpstreamRejected, nonRetryable: true });
    expect(failure.message).toContain('already has a parking session in progress');
  };

  test('the first attempt records the session it created; a retry of that attempt adopts it, another journey is refused', async () => {
    const { tokens } = await linkedDriver();
    const first = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    first.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const created = await open(first, tokens);
    const creatingSince = (heartbeats[0] as { creatingSince: string }).creatingSince;
    expect(heartbeats).toEqual([{ creatingSince }, { creatingSince, sessionId: (created as { sessionId: number }).sessionId }]);

    // The answer was lost (the worker crashed): the next attempt carries the recorded id.
    const retried = await open(new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeats[1] }), tokens);
    expect(retried).toMatchObject({ sessionId: (created as { sessionId: number }).sessionId, state: 'entering' });
    expect(sandbox.world.sessions.size).toBe(1);

    // Another journey of the driver, started at the same parking a moment ago: not its session.
    await refusal(open(new MockActivityEnvironment(), tokens));
    await refusal(open(new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { sessionId: 424242 } }), tokens));
    expect(sandbox.world.sessions.size).toBe(1);
  });

  test('a create answered too late (the session opened after our timeout) is adopted by the next attempt, not refused as another\'s', async () => {
    // A chaos run lost a journey this way: attempt 1 timed out while Parking+Plus still opened the session; attempt 3 saw it and refused it (422).
    const { tokens } = await linkedDriver();
    sandbox.faults.add({ method: 'POST', path: '/api/car_driver/parking_sessions', latencyMs: 2300 }); // the client gives up at 2 s
    const first = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    first.on('heartbeat', (details: unknown) => heartbeats.push(details));
    await expect(open(first, tokens)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500)); // Parking+Plus opens it after all
    expect(sandbox.world.sessions.size).toBe(1);
    const opened = [...sandbox.world.sessions.keys()][0];
    const retried = await open(new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeats.at(-1) }), tokens);
    expect(retried).toMatchObject({ sessionId: opened, state: 'entering' });
    expect(sandbox.world.sessions.size).toBe(1);
  });

  test('after an unanswered create, a session at another parking or past its entrance stays another\'s', async () => {
    const { tokens } = await linkedDriver();
    const unanswered = () => new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { creatingSince: new Date().toISOString() } });
    // The driver opened one at parking 188 meanwhile (in the app): the journey at 187 does not take it.
    const activities = createParkingPlusActivities({ client, tokensFor: () => tokens, box, sessionBeforeReset: async () => undefined });
    const opened = await new MockActivityEnvironment().run(activities.openParkingPlusSession, {
      accountId: 'account-1',
      securedParkingId: 188,
      journeyStartedAt: new Date().toISOString(),
    });
    const elsewhere = opened as { sessionId: number };
    await refusal(open(unanswered(), tokens));
    // At 187 but the car is already in: not a session our create just opened.
    await fetch(`${server.url}/__sandbox/parking_sessions/${elsewhere.sessionId}/gate`, { method: 'POST' });
    sandbox.world.sessions.get(elsewhere.sessionId)!.parkingId = 187;
    await refusal(open(unanswered(), tokens));
  });

  test('a run an operator reset adopts only the session its journey recorded before the reset', async () => {
    const { tokens } = await linkedDriver();
    const created = (await open(new MockActivityEnvironment(), tokens)) as { sessionId: number };
    await expect(open(new MockActivityEnvironment(), tokens, { resetRun: true, before: created.sessionId })).resolves.toMatchObject({
      sessionId: created.sessionId,
    });
    await refusal(open(new MockActivityEnvironment(), tokens, { resetRun: true, before: undefined }));
    await refusal(open(new MockActivityEnvironment(), tokens, { resetRun: true, before: created.sessionId + 1 }));
  });

  test('a reset run whose recorded session has ended (paid, the car left) finds it among the transactions', async () => {
    const { tokens } = await linkedDriver();
    const created = (await open(new MockActivityEnvironment(), tokens)) as { sessionId: number };
    const gate = () => fetch(`${server.url}/__sandbox/parking_sessions/${created.sessionId}/gate`, { method: 'POST' });
    await gate();
    const finalized = await client.finalize(tokens, created.sessionId, 187);
    const orderId = /\/api\/payment\/pay\/(\d+)/.exec(finalized.pay_url)![1]!;
    await fetch(`${server.url}/__sandbox/orders/${orderId}/outcome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'confirmed' }) });
    await gate();
    await expect(open(new MockActivityEnvironment(), tokens, { resetRun: true, before: created.sessionId })).resolves.toMatchObject({ state: 'closed', amount: { value: '5.00' } });
    expect(sandbox.world.sessions.size).toBe(1);
  });

  test('a payment order Parking+Plus does not know is UpstreamNotFound, never an auth failure', async () => {
    const { tokens } = await linkedDriver();
    expect(await failureOf(client.paymentStatus(tokens, '424242'))).toMatchObject({ type: FailureType.UpstreamNotFound, nonRetryable: true });
    expect(sandbox.world.grants.refresh_token).toBe(0);
  });
});

test('with a data directory the simulator keeps drivers, tokens, sessions and its clock across a restart', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parkingplus-state-'));
  const clientOf = (server: Listening) => new ParkingPlusClient({ baseUrl: server.url, clientAppId: 'parkflow-sandbox-app', clientSecret: 'parkflow-sandbox-secret', timeoutMs: 2000 });
  try {
    const before = createParkingPlusSandbox({ dataDir });
    const first = await listen(before.app, 0);
    const tokens = new TokenSource(new MemoryVault(clientOf(first), await clientOf(first).passwordGrant('kept@example.com', 'sekret')));
    const created = await clientOf(first).createSession(tokens, 187);
    await fetch(`${first.url}/__sandbox/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 60 }) });
    await first.close();

    const after = createParkingPlusSandbox({ dataDir });
    const second = await listen(after.app, 0);
    try {
      expect(after.clock.offsetMs).toBe(60_000);
      expect((await clientOf(second).currentSession(tokens))?.parking_session.id).toBe(created.parking_session.id); // the same token still works
      expect(after.world.grants.refresh_token).toBe(0);
      expect(await failureOf(clientOf(second).createSession(tokens, 187))).toMatchObject({ type: FailureType.UpstreamRejected });
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** The shape of a JSON value: keys and value types, recursively (arrays by their first item). */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return [value.length ? shape(value[0]) : 'empty'];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  return value === null ? 'null' : typeof value;
}

describe('the simulator produces the seeds’ example payloads', () => {
  const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parkingplus-seed-payloads.json'), 'utf8'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads the JSON it expects
  const post = async (p: string, body: unknown, token?: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${server.url}${p}`, {
      method: p.endsWith('/finalize') ? 'PUT' : 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  test('finalize answers 201 with exactly the shape of seed 000', async () => {
    const token = (await post('/api/car_driver/token', { grant_type: 'password', username: 'user@example.com', password: 'sekret', client_app_id: 'parkflow-sandbox-app', client_secret: 'parkflow-sandbox-secret' })).body.token_info.access_token;
    const created = await post('/api/car_driver/parking_sessions', { parking_session: { secured_parking_id: 187 } }, token);
    await fetch(`${server.url}/__sandbox/parking_sessions/${created.body.parking_session.id}/gate`, { method: 'POST' });
    sandbox.clock.advance(65 * 60_000);
    const finalized = await post(`/api/car_driver/parking_sessions/${created.body.parking_session.id}/finalize`, { parking_session: { secured_parking_id: 187 } }, token);
    expect(finalized.status).toBe(201);
    // The seed's description is null, its is_active null: the simulator's too.
    expect(shape(finalized.body)).toEqual(shape(fixtures.finalize));
    expect(finalized.body).toMatchObject({ amount: '10.00', currency: 'RON', parking_session: { type: 'pay_per_use', state: 'exiting', entrance_remaining_tries: 9, exit_remaining_tries: 10 } });
  });

  test('the token endpoint answers the token_info envelope of seed 002', async () => {
    const token = await post('/api/car_driver/token', { grant_type: 'password', username: 'user@example.com', password: 'sekret', client_app_id: 'parkflow-sandbox-app', client_secret: 'parkflow-sandbox-secret' });
    expect(shape(token.body.token_info)).toEqual(shape(fixtures.token.token_info));
    expect(token.body.token_info.expires_in).toBe(7200);
    expect(token.body.token_info.access_token).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(token.body.account_info)).toEqual(expect.arrayContaining(Object.keys(fixtures.token.account_info)));
    const wrong = await post('/api/car_driver/token', { grant_type: 'password', username: 'user@example.com', password: 'x', client_app_id: 'parkflow-sandbox-app', client_secret: 'parkflow-sandbox-secret' });
    expect(wrong).toEqual({ status: 401, body: { error: 'invalid_grant', error_description: expect.stringContaining('grant is invalid') } });
  });

  test('access tokens expire after their lifetime (7200 s): then 401, and the refresh grant works', async () => {
    const { tokens } = await linkedDriver();
    sandbox.clock.advance(7199 * 1000);
    await expect(client.currentSession(tokens)).resolves.toBeUndefined();
    const refreshesBefore = sandbox.world.grants.refresh_token;
    sandbox.clock.advance(2 * 1000);
    await expect(client.currentSession(tokens)).resolves.toBeUndefined();
    expect(sandbox.world.grants.refresh_token).toBe(refreshesBefore + 1);
  });

  test('smart-key tries count down on every use of the gate', async () => {
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 187);
    sandbox.clock.advance(6 * 60_000); // the entrance key lapsed: the gate refuses and spends a try
    const refused = await fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { session: { entrance_remaining_tries: number } }).session.entrance_remaining_tries).toBe(9);
  });
});

describe('online-only parkings (seed 000 is_online)', () => {
  test('the sandbox parking 189 is online-only: its keys say is_online: true, and parkflow offers no access command', async () => {
    expect(ONLINE_ONLY_PARKING_IDS).toEqual([189]);
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 189);
    expect(created.smart_key).toMatchObject({ is_online: true, secured_parking_id: 189, access_command: expect.any(String) });
    expect(sessionSnapshot(created).key).toMatchObject({ kind: 'entrance', isOnline: true });
    expect(sessionSnapshot(created).key).not.toHaveProperty('accessCommand');

    // The barrier opens from Parking+Plus's side: the sandbox gate control lets the car in and out.
    const gate = () => fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    expect((await gate()).status).toBe(200);
    const finalized = await client.finalize(tokens, created.parking_session.id, 189);
    expect(finalized.smart_key.is_online).toBe(true);
    expect(finalizedSnapshot(finalized).key).toMatchObject({ kind: 'exit', isOnline: true });
    expect(finalizedSnapshot(finalized).key).not.toHaveProperty('accessCommand');
  });

  test('the other sandbox parkings are not: their keys carry the access command', async () => {
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 187);
    expect(created.smart_key.is_online).toBe(false);
    expect(sessionSnapshot(created).key).toMatchObject({ isOnline: false, accessCommand: created.smart_key.access_command });
  });
});

describe('return_url (research §1: Base64; the pay page sends the WebView back with the order id)', () => {
  const box = new SecretBox(Buffer.alloc(32, 7).toString('base64'));
  const journeyId = 'journey-parkingplus-return-1';
  const decoded = (payUrl: string) => Buffer.from(new URL(payUrl).searchParams.get('return_url')!, 'base64').toString('utf8');

  async function finalizedJourney() {
    const { tokens } = await linkedDriver();
    const created = await client.createSession(tokens, 187);
    await fetch(`${server.url}/__sandbox/parking_sessions/${created.parking_session.id}/gate`, { method: 'POST' });
    const activities = createParkingPlusActivities({ client, tokensFor: () => tokens, box, publicBaseUrl: 'https://parkflow.example/' });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: journeyId, runId: 'run-1' } });
    const input = { accountId: 'account-1', sessionId: created.parking_session.id, securedParkingId: 187 };
    const finalized = (await env.run(activities.finalizeParkingPlusSession, input)) as ParkingPlusFinalized;
    return { tokens, finalized };
  }
  /** The driver submits the card form the pay page served (its hidden fields included). */
  async function submitCard(payUrl: string, card: { card_number: string; cvv: string }) {
    const page = await (await fetch(payUrl)).text();
    const hidden = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!;
    return fetch(new URL(action, payUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, processor: 'mobilpay', ...card }).toString(),
    });
  }

  test("the driver's pay_url carries the journey's return route, Base64-encoded, next to the upstream's own parameters", async () => {
    const { finalized } = await finalizedJourney();
    expect(decoded(finalized.payUrl)).toBe(`https://parkflow.example/v1/returns/parkingplus/${journeyId}`);
    expect(decoded(finalized.payUrl)).toBe(parkingPlusReturnUrl('https://parkflow.example', journeyId));
    expect(new URL(finalized.payUrl).searchParams.get('from_mobile_v4')).toBe('true');
    expect(finalized.orderId).toMatch(/^\d+$/); // the simulator's pay_url still names it in its path
  });

  test('after the card form the simulator redirects (303) to the decoded return_url with ?id=<order>; payment/status knows that id', async () => {
    const { tokens, finalized } = await finalizedJourney();
    const res = await submitCard(finalized.payUrl, { card_number: '9900004810225098', cvv: '111' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`https://parkflow.example/v1/returns/parkingplus/${journeyId}`);
    const id = location.searchParams.get('id')!;
    expect(id).toBe(finalized.orderId);
    expect(await client.paymentStatus(tokens, id)).toBe('confirmed');
  });

  test('a declined card comes back too (status error); a return_url with a query gets &id=', async () => {
    const { tokens, finalized } = await finalizedJourney();
    const withQuery = new URL(finalized.payUrl);
    withQuery.searchParams.set('return_url', Buffer.from('https://app.example/back?from=pp#done').toString('base64'));
    const res = await submitCard(withQuery.toString(), { card_number: '9900541631437790', cvv: '111' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://app.example/back?from=pp&id=${finalized.orderId}#done`);
    expect(await client.paymentStatus(tokens, finalized.orderId!)).toBe('error');
  });

  test('without a return_url the pay page shows its result; a return_url that is not Base64 of an http(s) URL is refused (400)', async () => {
    const { finalized } = await finalizedJourney();
    const plain = new URL(finalized.payUrl);
    plain.searchParams.delete('return_url');
    const res = await submitCard(plain.toString(), { card_number: '9900004810225098', cvv: '111' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-status="confirmed"');
    for (const bad of ['not base64!', Buffer.from('javascript:alert(1)').toString('base64')]) {
      const url = new URL(finalized.payUrl);
      url.searchParams.set('return_url', bad);
      expect((await fetch(url)).status).toBe(400);
    }
  });

  test("a pay_url whose path names no order: no order id (the driver's return names it), the return_url still appended", () => {
    const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parkingplus-seed-payloads.json'), 'utf8'));
    const seed = finalizedSnapshot(FinalizedSession.parse(fixtures.finalize));
    expect(seed).toMatchObject({ orderId: '1', payUrl: fixtures.finalize.pay_url }); // the seed's /api/payment/pay/1, passed as is without a return route

    const returnUrl = parkingPlusReturnUrl('https://parkflow.example', journeyId);
    const noOrder = finalizedSnapshot(FinalizedSession.parse({ ...fixtures.finalize, pay_url: 'https://pay.parkingplus.example/checkout?token=abc' }), returnUrl);
    expect(noOrder).not.toHaveProperty('orderId');
    expect(new URL(noOrder.payUrl).searchParams.get('token')).toBe('abc');
    expect(decoded(noOrder.payUrl)).toBe(returnUrl);
  });
});
