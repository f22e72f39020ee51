import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { payOnPage, readForm } from '../scripts/chaos/browser';
import { DeadlineReached, newClientStats, retryAfter, RetryingHttp } from '../scripts/chaos/http';
import { createEpxSandbox } from '../src/sandbox/epx/app';
import { listen, type Listening } from '../src/sandbox/harness';
import { createMobilPaySandbox } from '../src/sandbox/mobilpay/app';

// The chaos run's client as a well-behaved backend: the same request again after a network error,
// a 429 or a 5xx (Retry-After honoured, capped), a 5xx without Retry-After recorded; and the
// driver's browser paying the processors' hosted pages of the simulators.

type Reply = { status: number; headers?: Record<string, string>; body?: string };
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A server that answers each request with the next scripted reply (the last one once they run out). */
async function scripted(replies: Reply[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      const reply = replies[Math.min(received.length - 1, replies.length - 1)]!;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('RetryingHttp', () => {
  test('a 429 with Retry-After is waited out and the same request (key and body) sent again', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '1' } }, { status: 201, body: '{"id":"j"}' }]);
    const stats = newClientStats();
    const started = Date.now();
    const answer = await new RetryingHttp(stats, Date.now() + 10_000).request(`${server.url}/v1/journeys`, {
      headers: { 'idempotency-key': 'k-1' },
      json: { provider: 'linkc' },
    });
    await server.close();
    expect(answer).toMatchObject({ status: 201, body: { id: 'j' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    expect(stats).toMatchObject({ requests: 2, retries: 1, retryAfterWaits: 1, byStatus: { 429: 1, 201: 1 }, serverErrors: [], inFlight: 0 });
    expect(server.received.map((r) => [r.method, r.headers['idempotency-key'], r.body])).toEqual([
      ['POST', 'k-1', '{"provider":"linkc"}'],
      ['POST', 'k-1', '{"provider":"linkc"}'],
    ]);
  });

  test('a 5xx without Retry-After is a server error (recorded) and retried; a 503 with Retry-After is not an error', async () => {
    const server = await scripted([
      { status: 500, body: '{"title":"Internal error"}' },
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 200 },
    ]);
    const stats = newClientStats();
    const answer = await new RetryingHttp(stats, Date.now() + 10_000).request(`${server.url}/v1/journeys/j/finalize?x=1`, { method: 'POST', json: {} });
    await server.close();
    expect(answer.status).toBe(200);
    expect(stats.serverErrors).toEqual([{ method: 'POST', path: '/v1/journeys/j/finalize', status: 500, body: '{"title":"Internal error"}' }]);
    expect(stats).toMatchObject({ requests: 3, retries: 2, retryAfterWaits: 1 });
  });

  test('at the deadline: the last answer; with no answer at all (connection refused): DeadlineReached', async () => {
    const server = await scripted([{ status: 503, headers: { 'retry-after': '1' } }]);
    const stats = newClientStats();
    const answer = await new RetryingHttp(stats, Date.now() + 2_500).request(`${server.url}/v1/journeys/j`);
    await server.close();
    expect(answer.status).toBe(503);
    expect(stats.requests).toBeGreaterThanOrEqual(2);

    const refused = new RetryingHttp(stats, Date.now() + 1_500).request(server.url); // closed: nothing listens there now
    await expect(refused).rejects.toBeInstanceOf(DeadlineReached);
    expect(stats.networkErrors).toBeGreaterThanOrEqual(2);
  });

  test('a hint (retry: false) is tried once, whatever comes back', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '60' } }]);
    const stats = newClientStats();
    const answer = await new RetryingHttp(stats, Date.now() + 10_000).request(`${server.url}/v1/journeys/j/refresh`, { method: 'POST', retry: false });
    await server.close();
    expect(answer.status).toBe(429);
    expect(stats).toMatchObject({ requests: 1, retries: 0 });
  });

  test('Retry-After in seconds or as a date', () => {
    expect(retryAfter('2')).toBe(2000);
    expect(retryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(retryAfter(null)).toBeUndefined();
    expect(retryAfter('soon')).toBeUndefined();
  });
});

describe("the driver's browser on the processors' hosted pages (simulators)", () => {
  let merchant: Awaited<ReturnType<typeof scripted>>;
  const servers: Listening[] = [];
  beforeAll(async () => {
    merchant = await scripted([{ status: 200, body: '<html><body>ok</body></html>', headers: { 'content-type': 'text/html' } }]);
  });
  afterAll(async () => {
    await merchant.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('a form is read as a browser sends it: the action resolved against the page, named inputs with their values', () => {
    const html = '<form method="post" action="./"><input type="hidden" name="TAC" value="a&#43;b&#61;"><input name="ACCOUNT_NBR" required></form>';
    expect(readForm(html, 'http://sim:1/browserpost/pay?TAC=x')).toEqual({
      action: 'http://sim:1/browserpost/',
      fields: { TAC: 'a+b=', ACCOUNT_NBR: '' },
    });
    expect(readForm('<h1>Payment approved</h1>', 'http://sim:1/')).toBeUndefined();
  });

  test("MobilPay's card page, submitted twice: one capture; the driver lands back on the merchant", async () => {
    const sandbox = createMobilPaySandbox({ notifyRetry: { attempts: 1, delayMs: 10 } });
    const sim = await listen(sandbox.app, 0);
    servers.push(sim);
    const started = await fetch(`${sim.url}/payment/card/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'sandbox-mobilpay-api-key' },
      body: JSON.stringify({
        order: {
          orderID: 'journey-t-m.1',
          amount: 12.5,
          currency: 'RON',
          posSignature: 'XXXX-XXXX-XXXX-XXXX-XXXX',
          description: 'stay',
          dateTime: new Date().toISOString(),
          billing: { email: 'a@example.com', firstName: 'A', lastName: 'B', city: 'Cluj', country: 642 },
        },
        config: { notifyUrl: `${merchant.url}/v1/webhooks/mobilpay`, redirectUrl: `${merchant.url}/v1/payments/return?orderId=journey-t-m.1` },
      }),
    });
    const page = ((await started.json()) as { payment: { paymentURL: string } }).payment.paymentURL;
    const http = new RetryingHttp(newClientStats(), Date.now() + 10_000);
    const [first, second] = await Promise.all([payOnPage(http, 'mobilpay', page, 'mobilpay'), payOnPage(http, 'mobilpay', page, 'mobilpay')]);
    expect([first, second]).toContainEqual({ submitted: true });
    expect(sandbox.ledger.heldByOrder()).toEqual({ 'journey-t-m.1': { currency: 'RON', capturedMinor: 1250, refundedMinor: 0, heldMinor: 1250 } });
    expect(merchant.received.some((r) => r.method === 'GET' && r.path === '/v1/payments/return?orderId=journey-t-m.1')).toBe(true);
  });

  test("EPX's hosted form: the card to Browser Post, its auto-submitted result to parkflow; the link pays once", async () => {
    const sandbox = createEpxSandbox();
    const sim = await listen(sandbox.app, 0);
    servers.push(sim);
    const exchange = await fetch(`${sim.url}/keyexchange`, {
      method: 'POST',
      body: new URLSearchParams({
        MAC: 'sandbox-epx-mac-key',
        AMOUNT: '7.25',
        TRAN_NBR: '1234',
        TRAN_GROUP: 'SALE',
        REDIRECT_URL: `${merchant.url}/v1/webhooks/epx?orderId=journey-t-x.1`,
        USER_DATA_1: 'journey-t-x.1',
      }),
    });
    const tac = /<FIELD KEY="TAC">([^<]+)</.exec(await exchange.text())![1]!;
    const page = `${sim.url}/browserpost/pay?${new URLSearchParams({ TAC: tac, ...sandbox.fourPartKey })}`;
    const http = new RetryingHttp(newClientStats(), Date.now() + 10_000);
    expect(await payOnPage(http, 'epx', page, 'epx')).toEqual({ submitted: true });
    expect(await payOnPage(http, 'epx', page, 'epx')).toEqual({ submitted: false, reason: expect.stringMatching(/^410 /) });
    expect(sandbox.ledger.heldByOrder()['journey-t-x.1']).toMatchObject({ capturedMinor: 725, heldMinor: 725 });
    const redirect = merchant.received.find((r) => r.method === 'POST' && r.path.startsWith('/v1/webhooks/epx'));
    expect(new URLSearchParams(redirect!.body).get('AUTH_RESP')).toBe('00');
  });
});
