import express, { type Express } from 'express';
import { EctorClient } from '../src/activities/ector/client';
import { LinkcClient } from '../src/activities/linkc/client';
import { upstreamUrl } from '../src/activities/http';
import { MobilPayClient } from '../src/activities/mobilpay/client';
import { ParkingPlusClient } from '../src/activities/parkingplus/client';
import { createEctorSandbox } from '../src/sandbox/ector/app';
import { listen, type Listening } from '../src/sandbox/harness';
import { createLinkcSandbox } from '../src/sandbox/linkc/app';
import { createMobilPaySandbox } from '../src/sandbox/mobilpay/app';
import { createParkingPlusSandbox } from '../src/sandbox/parkingplus/app';
import { SANDBOX_DRIVER } from '../src/sandbox/parkingplus/model';

// A configured base URL keeps its path (NETOPIA live is https://secure.netopia-payments.com/api/):
// every client goes through callUpstream, each is pointed here at its simulator mounted under
// /api, with and without a trailing slash, and makes a real call.

const servers: Listening[] = [];

/** The simulator served under /api only: a call that drops the base's path gets a 404. */
async function underApiPrefix(app: Express): Promise<string> {
  const outer = express();
  outer.use('/api', app);
  const server = await listen(outer, 0);
  servers.push(server);
  return `${server.url}/api`;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const withAndWithoutSlash = (base: string) => [base, `${base}/`];

describe('a base URL with a path keeps it, with or without a trailing slash', () => {
  test.each([
    ['https://secure.netopia-payments.com/api/', '/payment/card/start', 'https://secure.netopia-payments.com/api/payment/card/start'],
    ['https://secure.netopia-payments.com/api', '/payment/card/start', 'https://secure.netopia-payments.com/api/payment/card/start'],
    ['https://secure.mobilpay.ro/pay', 'operation/status', 'https://secure.mobilpay.ro/pay/operation/status'],
    ['http://127.0.0.1:4010', '/api/estadias?placa=ABC1234&x=a%2Fb', 'http://127.0.0.1:4010/api/estadias?placa=ABC1234&x=a%2Fb'],
    ['http://127.0.0.1:4010/', '/v3/quotes?zone_id=CDG', 'http://127.0.0.1:4010/v3/quotes?zone_id=CDG'],
    ['https://host/a/b//', '//v3/zones', 'https://host/a/b/v3/zones'],
  ])('%s + %s → %s', (base, path, url) => {
    expect(upstreamUrl(base, path).href).toBe(url);
  });

  test('Parking+Plus: the password grant', async () => {
    const base = await underApiPrefix(createParkingPlusSandbox().app);
    for (const baseUrl of withAndWithoutSlash(base)) {
      const client = new ParkingPlusClient({ baseUrl, clientAppId: 'parkflow-sandbox-app', clientSecret: 'parkflow-sandbox-secret', timeoutMs: 2000 });
      expect((await client.passwordGrant(SANDBOX_DRIVER.email, SANDBOX_DRIVER.password)).email).toBe(SANDBOX_DRIVER.email);
    }
  });

  test('LinkC: authentication, then a stay looked up with a query string', async () => {
    const base = await underApiPrefix(createLinkcSandbox().app);
    for (const baseUrl of withAndWithoutSlash(base)) {
      const client = new LinkcClient({ baseUrl, usuario: 'parkflow', senha: 'sandbox-linkc-secret', timeoutMs: 2000 });
      expect((await client.lookupStay({ localizador: '1234567890' })).due.value).toMatch(/^\d+\.\d{2}$/);
    }
  });

  test('Ector: the zones, and a quote (a query string)', async () => {
    const sandbox = createEctorSandbox({ apiKey: 'base-path-ector-key' });
    const base = await underApiPrefix(sandbox.app);
    for (const baseUrl of withAndWithoutSlash(base)) {
      const client = new EctorClient({ baseUrl, apiKey: () => 'base-path-ector-key', timeoutMs: 2000 });
      expect((await client.listZones()).map((z) => z.id)).toContain('CDG');
      const year = new Date().getUTCFullYear() + 1;
      const quote = await client.quote({ zoneId: 'CDG', startAt: `${year}-07-23T16:05:00Z`, endAt: `${year}-07-25T16:05:00Z` });
      expect(quote).toMatchObject({ zoneId: 'CDG', available: true });
    }
  });

  test('MobilPay: start an order and read its status', async () => {
    const sandbox = createMobilPaySandbox();
    const base = await underApiPrefix(sandbox.app);
    for (const [i, baseUrl] of withAndWithoutSlash(base).entries()) {
      const client = new MobilPayClient({ baseUrl, apiKey: 'sandbox-mobilpay-api-key', posSignature: 'XXXX-XXXX-XXXX-XXXX-XXXX', timeoutMs: 2000 });
      const orderId = `base-path.${i + 1}`;
      const opened = await client.startOrder({
        orderId,
        amount: { value: '10.50', currency: 'RON' },
        description: 'base path',
        notifyUrl: 'http://127.0.0.1:9/ipn',
        redirectUrl: 'http://127.0.0.1:9/return',
      });
      expect(opened.redirectUrl.startsWith(`${base}/payment/card/page/`)).toBe(true);
      expect((await fetch(opened.redirectUrl)).status).toBe(200);
      expect(await client.status(orderId)).toMatchObject({ state: 'pending', processorRef: opened.processorRef });
    }
  });
});
