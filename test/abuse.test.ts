import { type Client } from '@temporalio/client';
import { type Options, type Store } from 'express-rate-limit';
import { type Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../src/api/app';
import { type RateLimitStores } from '../src/api/rate-limit-store';
import { loadConfig } from '../src/config';
import { SecretBox } from '../src/domain/sealed';
import { createLogger } from '../src/logger';
import { createEpxSandbox } from '../src/sandbox/epx/app';
import { hostedPagePolicy } from '../src/sandbox/harness';
import { createMobilPaySandbox } from '../src/sandbox/mobilpay/app';
import { createParkingPlusSandbox } from '../src/sandbox/parkingplus/app';

// Abuse: per-tenant quotas on journey starts and pays, per-address limits where no API key is
// sent (webhooks apart), a Content-Security-Policy on every page, and limits that count in a
// store shared by several API replicas. The API runs without Temporal: every request here is
// answered before Temporal would be asked (a refused body, another tenant's journey).

const ALPHA = 'alpha-key-0001';
const BETA = 'beta-key-0001';
const temporal = {
  workflow: { getHandle: () => ({ signal: async () => undefined }) },
  workflowService: { getSystemInfo: async () => ({}) },
  withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
} as unknown as Client;

function api(env: Record<string, string> = {}, rateLimitStores?: RateLimitStores): Server {
  const config = loadConfig({ NODE_ENV: 'test', API_KEYS: `alpha:${ALPHA},beta:${BETA}`, TEMPORAL_METRICS_BIND: '', ...env });
  const box = new SecretBox(config.PARKFLOW_SECRET_KEY);
  return createApp({ config, temporal, logger: createLogger('silent'), box, parkingPlus: {} as never, rateLimitStores }) as unknown as Server;
}

let keys = 0;
const freshKey = () => `abuse-test-${++keys}`;
/** A start the quota counts; the route then refuses its body (400), never reaching Temporal. */
const start = (app: Server, apiKey = ALPHA, idempotencyKey = freshKey(), body: object = { provider: 'nowhere' }) =>
  request(app).post('/v1/journeys').set('X-API-Key', apiKey).set('Idempotency-Key', idempotencyKey).send(body);
/** A pay the quota counts; the journey is another tenant's, so the route answers 404. */
const pay = (app: Server, apiKey = ALPHA, idempotencyKey?: string) => {
  const req = request(app).post('/v1/journeys/journey-gamma-0123456789abcdef0123/pay').set('X-API-Key', apiKey);
  return (idempotencyKey ? req.set('Idempotency-Key', idempotencyKey) : req).send({ method: 'mobilpay' });
};

afterEach(() => jest.restoreAllMocks());

describe('per-tenant quotas', () => {
  test('journey starts over TENANT_STARTS_PER_MINUTE → 429 quota-exceeded with the real seconds to wait', async () => {
    const app = api({ TENANT_STARTS_PER_MINUTE: '3' });
    const t0 = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(t0); // the tenant's window opens at t0
    for (let i = 0; i < 3; i++) expect((await start(app)).status).toBe(400);
    now.mockReturnValue(t0 + 45_000);
    const refused = await start(app);
    expect(refused.status).toBe(429);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toBe('15');
    expect(refused.body).toEqual({
      type: 'https://parkflow.dev/problems/quota-exceeded',
      title: 'Quota exceeded',
      status: 429,
      detail: "this tenant's quota of 3 journey starts a minute is used up",
    });
  });

  test('pays over TENANT_PAYS_PER_MINUTE → 429 naming the pays quota; starts are counted apart', async () => {
    const app = api({ TENANT_PAYS_PER_MINUTE: '2', TENANT_STARTS_PER_MINUTE: '2' });
    expect((await pay(app)).status).toBe(404);
    expect((await pay(app)).status).toBe(404);
    const refused = await pay(app);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(refused.body.detail).toBe("this tenant's quota of 2 pays a minute is used up");
    expect((await start(app)).status).toBe(400);
  });

  test('another tenant is unaffected by one that used its quota up', async () => {
    const app = api({ TENANT_STARTS_PER_MINUTE: '1', TENANT_PAYS_PER_MINUTE: '1' });
    expect((await start(app, ALPHA)).status).toBe(400);
    expect((await start(app, ALPHA)).status).toBe(429);
    expect((await pay(app, ALPHA)).status).toBe(404);
    expect((await pay(app, ALPHA)).status).toBe(429);
    expect((await start(app, BETA)).status).toBe(400);
    expect((await pay(app, BETA)).status).toBe(404);
  });

  test('a replay (same Idempotency-Key, same body) is not counted again; the same key with another body is', async () => {
    const app = api({ TENANT_STARTS_PER_MINUTE: '2' });
    const key = freshKey();
    for (let i = 0; i < 5; i++) expect((await start(app, ALPHA, key, { provider: 'nowhere' })).status).toBe(400);
    expect((await start(app, ALPHA, key, { provider: 'elsewhere' })).status).toBe(400); // a second request: counted
    expect((await start(app)).status).toBe(429);
    expect((await start(app, ALPHA, key, { provider: 'nowhere' })).status).toBe(400); // still a replay, over quota or not
  });

  test('a pay replayed with its Idempotency-Key is not counted again; pays without a key all are', async () => {
    const app = api({ TENANT_PAYS_PER_MINUTE: '2' });
    for (let i = 0; i < 4; i++) expect((await pay(app, ALPHA, 'pay-once')).status).toBe(404);
    expect((await pay(app)).status).toBe(404);
    expect((await pay(app)).status).toBe(429);
  });

  test('a request refused over quota is not remembered: replayed in the next window, it is counted', async () => {
    const counts = new Map<string, Entry>();
    const app = api({ TENANT_STARTS_PER_MINUTE: '1' }, sharedStores(counts));
    expect((await start(app)).status).toBe(400);
    const refusedKey = freshKey();
    expect((await start(app, ALPHA, refusedKey)).status).toBe(429);
    counts.delete('starts:starts:alpha'); // the window passes
    expect((await start(app, ALPHA, refusedKey)).status).toBe(400);
    expect(counts.get('starts:starts:alpha')?.totalHits).toBe(1); // counted, not taken for a replay
    expect((await start(app)).status).toBe(429);
  });
});

describe('limits where no API key is sent', () => {
  test('a processor flooding the webhooks → 429 in its own format: NETOPIA errorType 1 (it sends again), EPX a page', async () => {
    const app = api({ WEBHOOK_RATE_LIMIT_PER_MINUTE: '2' });
    const ipn = () => request(app).post('/v1/webhooks/mobilpay').set('content-type', 'application/json').send('{}');
    expect((await ipn()).status).toBe(401); // unsigned: refused, but counted
    expect((await ipn()).status).toBe(401);
    const refused = await ipn();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toEqual({ errorType: 1, errorCode: 429, errorMessage: 'too many notifications, send again later' });
    const epx = await request(app).post('/v1/webhooks/epx').type('form').send({ TRAN_NBR: '1' });
    expect(epx.status).toBe(429);
    expect(epx.type).toBe('text/html');
    expect(epx.text).toContain('Too many requests');
    expect(epx.headers['retry-after']).toBeDefined();
  });

  test('webhooks count apart from the public limit, and /v1 with a valid key counts to its tenant only', async () => {
    const app = api({ PUBLIC_RATE_LIMIT_PER_MINUTE: '2', WEBHOOK_RATE_LIMIT_PER_MINUTE: '100' });
    for (let i = 0; i < 5; i++) expect((await request(app).post('/v1/webhooks/mobilpay').send('{}')).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await request(app).get('/v1/ector/quotes').set('X-API-Key', ALPHA)).status).toBe(400);
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    expect((await request(app).get('/openapi.json')).status).toBe(429);
  });

  test('wrong API keys, the spec, the docs, the codec and the return pages share PUBLIC_RATE_LIMIT_PER_MINUTE per address', async () => {
    const app = api({ PUBLIC_RATE_LIMIT_PER_MINUTE: '5' });
    expect((await request(app).get('/v1/journeys').set('X-API-Key', 'guessed-key-01')).status).toBe(401);
    expect((await request(app).get('/v1/journeys')).status).toBe(401);
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    expect((await request(app).get('/codec/sign-in')).status).toBe(200);
    expect((await request(app).get('/v1/payments/return')).status).toBe(200);

    const guess = await request(app).get('/v1/journeys').set('X-API-Key', 'guessed-key-02');
    expect(guess.status).toBe(429);
    expect(guess.type).toBe('application/problem+json');
    expect(guess.body.detail).toBe('at most 5 requests a minute from one address');
    expect(Number(guess.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect((await request(app).get('/codec/sign-in')).status).toBe(429);
    expect((await request(app).get('/docs/')).status).toBe(429);
    const back = await request(app).get('/v1/payments/return');
    expect(back.status).toBe(429);
    expect(back.type).toBe('text/html'); // a driver's browser gets a page
  });

  test('returns from the hosted pages: RETURN_RATE_LIMIT_PER_MINUTE per address (fixed at 120 before), then a page with Retry-After', async () => {
    const app = api({ RETURN_RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) expect((await request(app).get('/v1/payments/return')).status).toBe(200);
    const back = await request(app).get('/v1/returns/parkingplus/journey-alpha-0123456789abcdef0123');
    expect(back.status).toBe(429);
    expect(back.type).toBe('text/html');
    expect(Number(back.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect((await request(api()).get('/v1/payments/return')).status).toBe(200); // 120 by default
  });

  test("a signed-in operator's codec calls are not counted; guessed operator keys are", async () => {
    const app = api({ PUBLIC_RATE_LIMIT_PER_MINUTE: '2' });
    const decode = (key: string) => request(app).post('/codec/decode').set('Authorization', `Bearer ${key}`).send({ payloads: [] });
    for (let i = 0; i < 5; i++) expect((await decode('dev-operator-key-0001')).status).toBe(200);
    expect((await decode('guessed-operator-key-1')).status).toBe(401);
    expect((await decode('guessed-operator-key-2')).status).toBe(401);
    expect((await decode('guessed-operator-key-3')).status).toBe(429);
  });

  test('the probes are never limited', async () => {
    const app = api({ PUBLIC_RATE_LIMIT_PER_MINUTE: '1' });
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    expect((await request(app).get('/openapi.json')).status).toBe(429);
    for (let i = 0; i < 5; i++) {
      expect((await request(app).get('/healthz')).status).toBe(200);
      expect((await request(app).get('/readyz')).status).toBe(200);
      expect((await request(app).get('/metrics')).status).toBe(200);
    }
  });
});

describe('Content-Security-Policy on every page', () => {
  const directives = (header: string | undefined) =>
    Object.fromEntries((header ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  const app = api();

  test.each([
    ['a landing page', () => request(app).get('/v1/payments/return?orderId=x')],
    ['the EPX result page', () => request(app).post('/v1/webhooks/epx').type('form').send({ TRAN_NBR: '1', RESP_MAC: 'forged' })],
    ['the codec sign-in', () => request(app).get('/codec/sign-in')],
    ['the docs', () => request(app).get('/docs/')],
  ])('%s: own scripts only, forms to itself, never framed', async (_name, get) => {
    const res = await get();
    expect(res.type).toBe('text/html');
    const csp = directives(res.headers['content-security-policy']);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['script-src-attr']).toEqual(["'none'"]);
    expect(csp['form-action']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
  });

  test("style: 'unsafe-inline' on /docs only (swagger-ui), the operator pages' one stylesheet by hash, nothing inline elsewhere", async () => {
    const style = async (path: string) => directives((await request(app).get(path)).headers['content-security-policy'])['style-src'];
    expect(await style('/docs/')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(await style('/docs/swagger-ui-init.js')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(await style('/codec/sign-in')).toEqual(["'self'", expect.stringMatching(/^'sha256-[A-Za-z0-9+/]{43}='$/)]);
    expect(await style('/v1/payments/return')).toEqual(["'self'"]);
    expect(await style('/openapi.json')).toEqual(["'self'"]);
  });

  test("the processors' simulated pages: a CSP on every answer, the merchant's origin allowed as a form target only when asked", async () => {
    const pages = [
      [createMobilPaySandbox(), '/payment/card/page/no-such-payment'],
      [createEpxSandbox(), '/browserpost/pay?TAC=no-such-tac'],
      [createParkingPlusSandbox(), '/api/payment/pay/999999'],
    ] as const;
    for (const [sandbox, path] of pages) {
      const res = await request(sandbox.app).get(path);
      expect({ path, type: res.type, csp: res.headers['content-security-policy'] }).toEqual({ path, type: 'text/html', csp: hostedPagePolicy() });
    }
    expect(hostedPagePolicy()).toContain("script-src 'self'; script-src-attr 'none'");
    expect(hostedPagePolicy()).toContain("form-action 'self'; frame-ancestors 'none'");
    const back = hostedPagePolicy(['http://127.0.0.1:3000/v1/returns/parkingplus/j?id=1', 'javascript:alert(1)', undefined]);
    expect(back).toContain("form-action 'self' http://127.0.0.1:3000;");
  });
});

describe('a shared store for several API replicas', () => {
  test('two API instances given one shared store count together', async () => {
    const counts = new Map<string, Entry>();
    const env = { TENANT_STARTS_PER_MINUTE: '2', PUBLIC_RATE_LIMIT_PER_MINUTE: '2' };
    const [one, two] = [api(env, sharedStores(counts)), api(env, sharedStores(counts))];
    expect((await start(one)).status).toBe(400);
    expect((await start(two)).status).toBe(400);
    expect((await start(one)).status).toBe(429);
    expect((await start(two)).status).toBe(429);
    expect((await request(one).get('/openapi.json')).status).toBe(200);
    expect((await request(two).get('/openapi.json')).status).toBe(200);
    expect((await request(one).get('/openapi.json')).status).toBe(429);
    expect(counts.get('starts:starts:alpha')?.totalHits).toBe(4);

    // while two instances with their own memory let each limit through twice
    const [a, b] = [api(env), api(env)];
    for (const app of [a, b, a, b]) expect((await start(app)).status).toBe(400);
  });

  test('a store that fails lets requests through (logged), never a 500', async () => {
    const broken: RateLimitStores = () => ({
      increment: async () => {
        throw new Error('store down');
      },
      decrement: async () => undefined,
      resetKey: async () => undefined,
    });
    const app = api({ TENANT_STARTS_PER_MINUTE: '1', PUBLIC_RATE_LIMIT_PER_MINUTE: '1' }, broken);
    for (let i = 0; i < 3; i++) {
      expect((await start(app)).status).toBe(400);
      expect((await request(app).get('/openapi.json')).status).toBe(200);
    }
  });
});

type Entry = { totalHits: number; resetTime: Date };

/** Stores on one backend, as Redis would be: an instance per limit, each name its own keyspace. */
function sharedStores(backend: Map<string, Entry>): RateLimitStores {
  return (name) => new SharedStore(backend, `${name}:`);
}

class SharedStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  constructor(
    private readonly backend: Map<string, Entry>,
    readonly prefix: string,
  ) {}
  init(options: Options): void {
    this.windowMs = options.windowMs;
  }
  async increment(key: string): Promise<Entry> {
    let entry = this.backend.get(this.prefix + key);
    if (!entry || entry.resetTime.getTime() <= Date.now()) {
      entry = { totalHits: 0, resetTime: new Date(Date.now() + this.windowMs) };
      this.backend.set(this.prefix + key, entry);
    }
    entry.totalHits += 1;
    return { ...entry };
  }
  async decrement(key: string): Promise<void> {
    const entry = this.backend.get(this.prefix + key);
    if (entry && entry.totalHits > 0) entry.totalHits -= 1;
  }
  async resetKey(key: string): Promise<void> {
    this.backend.delete(this.prefix + key);
  }
}
