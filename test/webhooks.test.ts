import { type Client } from '@temporalio/client';
import { generateKeyPairSync } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { ParkingPlusClient } from '../src/activities/parkingplus/client';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { SecretBox } from '../src/domain/sealed';
import { createLogger } from '../src/logger';
import { signRedirect } from '../src/sandbox/epx/app';
import { Notifier } from '../src/sandbox/mobilpay/notifier';
import { SANDBOX_NETOPIA_PRIVATE_KEY } from '../src/sandbox/mobilpay/sandbox-keys';

// The webhook verification matrix: only a valid, fresh, untampered notification signals a
// payment; duplicates are accepted (the workflow asks the processor itself).

const config = loadConfig({ NODE_ENV: 'test', API_KEYS: 'test:webhook-test-key' });
const signalled: string[] = [];
const temporal = {
  workflow: { getHandle: (id: string) => ({ signal: async () => void signalled.push(id) }) },
  withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
} as unknown as Client;
const app = createApp({ config, temporal, logger: createLogger('silent'), box: new SecretBox(config.PARKFLOW_SECRET_KEY), parkingPlus: new ParkingPlusClient({ baseUrl: 'http://127.0.0.1:9', clientAppId: 'x', clientSecret: 'y', timeoutMs: 100 }) }) as unknown as Server;

beforeEach(() => {
  signalled.length = 0;
});

describe('MobilPay IPN (Verification-token JWT, RS512)', () => {
  const now = Date.now();
  const body = JSON.stringify({ order: { orderID: 'journey-abc.1' }, payment: { ntpID: 'n1', status: 3, amount: 12.5, currency: 'RON' }, error: { code: '00', message: 'Approved' } });
  const netopia = new Notifier(SANDBOX_NETOPIA_PRIVATE_KEY, () => now);
  const post = (payload: string, token?: string) => {
    const req = request(app).post('/v1/webhooks/mobilpay').set('content-type', 'application/json');
    return (token ? req.set('Verification-token', token) : req).send(payload);
  };

  test('valid → 200 errorType 0, the payment is woken', async () => {
    const res = await post(body, netopia.signature(body, config.MOBILPAY_POS_SIGNATURE));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ errorType: 0, errorCode: null, errorMessage: '' });
    expect(signalled).toEqual(['payment-journey-abc.1']);
  });

  test('duplicate → accepted again (harmless: the workflow asks the processor)', async () => {
    const token = netopia.signature(body, config.MOBILPAY_POS_SIGNATURE);
    expect((await post(body, token)).status).toBe(200);
    expect((await post(body, token)).status).toBe(200);
    expect(signalled).toEqual(['payment-journey-abc.1', 'payment-journey-abc.1']);
  });

  const rejected: Array<[string, () => [string, string | undefined]]> = [
    ['tampered body', () => [body.replace('"status":3', '"status":5'), netopia.signature(body, config.MOBILPAY_POS_SIGNATURE)]],
    ['wrong key', () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      return [body, new Notifier(other, () => now).signature(body, config.MOBILPAY_POS_SIGNATURE)];
    }],
    ['wrong audience (another POS)', () => [body, netopia.signature(body, 'YYYY-YYYY-YYYY-YYYY-YYYY')]],
    ['expired token (a replay an hour later)', () => [body, new Notifier(SANDBOX_NETOPIA_PRIVATE_KEY, () => now - 3600_000).signature(body, config.MOBILPAY_POS_SIGNATURE)]],
    ['token from the future', () => [body, new Notifier(SANDBOX_NETOPIA_PRIVATE_KEY, () => now + 3600_000).signature(body, config.MOBILPAY_POS_SIGNATURE)]],
    ['no token', () => [body, undefined]],
    ['garbage token', () => [body, 'not.a.jwt']],
  ];
  test.each(rejected)('%s → 401 errorType 2, nothing signalled', async (_name, make) => {
    const [payload, token] = make();
    const res = await post(payload, token);
    expect(res.status).toBe(401);
    expect(res.body.errorType).toBe(2);
    expect(signalled).toEqual([]);
  });
});

describe('EPX redirect (RESP_MAC, assumed HMAC-SHA256 with the merchant key)', () => {
  const fields = () => {
    const f: Record<string, string> = {
      AUTH_GUID: '09LABCDEF0123456789',
      AUTH_RESP: '00',
      AUTH_RESP_TEXT: 'APPROVAL',
      AUTH_AMOUNT: '12.50',
      TRAN_NBR: '1234567890',
      USER_DATA_1: 'journey-abc.2',
      AUTH_MASKED_ACCOUNT_NBR: 'XXXXXXXXXXXX0002',
      RESP_TIMESTAMP: String(Math.floor(Date.now() / 1000)),
    };
    f.RESP_MAC = signRedirect(f, config.EPX_MAC);
    return f;
  };
  const post = (f: Record<string, string>, orderId = 'journey-abc.2') => request(app).post(`/v1/webhooks/epx?orderId=${orderId}`).type('form').send(f);

  test('valid → 200 landing page, the payment is woken and its journey asked to look now', async () => {
    const res = await post(fields());
    expect(res.status).toBe(200);
    expect(res.text).toContain('Payment received');
    expect(signalled).toEqual(['payment-journey-abc.2', 'journey-abc']);
  });

  test('duplicate (browser back / refresh) → accepted again; the journey is not asked twice within a second', async () => {
    const f: Record<string, string> = { ...fields(), USER_DATA_1: 'journey-dup.2' };
    f.RESP_MAC = signRedirect(f, config.EPX_MAC);
    expect((await post(f, 'journey-dup.2')).status).toBe(200);
    expect((await post(f, 'journey-dup.2')).status).toBe(200);
    expect(signalled).toEqual(['payment-journey-dup.2', 'journey-dup', 'payment-journey-dup.2']);
  });

  test('no signature (EPX may send none: R-68) → a hint all the same: the payment is woken, the page claims no result', async () => {
    const f: Record<string, string> = { ...fields(), USER_DATA_1: 'journey-unsigned.1' };
    delete f.RESP_MAC;
    const res = await post(f, 'journey-unsigned.1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Payment sent');
    expect(res.text).not.toContain('Payment received');
    expect(signalled).toEqual(['payment-journey-unsigned.1', 'journey-unsigned']);
  });

  const rejected: Array<[string, () => [Record<string, string>, string?]]> = [
    ['tampered field', () => [{ ...fields(), AUTH_RESP: '00', AUTH_AMOUNT: '0.01' }]],
    ['wrong key', () => {
      const f = fields();
      return [{ ...f, RESP_MAC: signRedirect(f, 'another-merchant-key') }];
    }],
    ['stale timestamp (a replay)', () => {
      const f = { ...fields(), RESP_TIMESTAMP: String(Math.floor(Date.now() / 1000) - 3600) };
      return [{ ...f, RESP_MAC: signRedirect(f, config.EPX_MAC) }];
    }],
    ['result of another order', () => [fields(), 'journey-xyz.1']],
    ['an empty signature', () => [{ ...fields(), RESP_MAC: '' }]],
  ];
  test.each(rejected)('%s → 401, nothing signalled', async (_name, make) => {
    const [f, orderId] = make();
    const res = await post(f, orderId);
    expect(res.status).toBe(401);
    expect(signalled).toEqual([]);
  });
});

describe('Temporal unavailable while a notification arrives (a chaos run found the 503 without Retry-After)', () => {
  const down = {
    workflow: { getHandle: () => ({ signal: async () => Promise.reject(new Error('14 UNAVAILABLE: Connection refused')) }) },
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
  } as unknown as Client;
  const downApp = createApp({ config, temporal: down, logger: createLogger('silent'), box: new SecretBox(config.PARKFLOW_SECRET_KEY), parkingPlus: new ParkingPlusClient({ baseUrl: 'http://127.0.0.1:9', clientAppId: 'x', clientSecret: 'y', timeoutMs: 100 }) }) as unknown as Server;

  test('MobilPay: 503 errorType 1 (NETOPIA sends again) with Retry-After', async () => {
    const body = JSON.stringify({ order: { orderID: 'journey-down.1' }, payment: { ntpID: 'n1', status: 3, amount: 1, currency: 'RON' } });
    const token = new Notifier(SANDBOX_NETOPIA_PRIVATE_KEY, () => Date.now()).signature(body, config.MOBILPAY_POS_SIGNATURE);
    const res = await request(downApp).post('/v1/webhooks/mobilpay').set('content-type', 'application/json').set('Verification-token', token).send(body);
    expect({ status: res.status, errorType: res.body.errorType, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, errorType: 1, retryAfter: '2' });
  });

  test('EPX return: 503 with Retry-After (the driver\'s browser may reload)', async () => {
    const f: Record<string, string> = { AUTH_RESP: '00', AUTH_GUID: 'g1', AUTH_AMOUNT: '1.00', TRAN_NBR: '1', USER_DATA_1: 'journey-down.2', RESP_TIMESTAMP: String(Math.floor(Date.now() / 1000)) };
    f.RESP_MAC = signRedirect(f, config.EPX_MAC);
    const res = await request(downApp).post('/v1/webhooks/epx?orderId=journey-down.2').type('form').send(f);
    expect({ status: res.status, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '2' });
  });
});
