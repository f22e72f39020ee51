import express from 'express';
import request from 'supertest';
import { FaultInjector } from '../src/sandbox/harness';
import { createLinkcSandbox, LINKC_ACCEPT } from '../src/sandbox/linkc/app';
import { Notifier } from '../src/sandbox/mobilpay/notifier';
import { SANDBOX_NETOPIA_PRIVATE_KEY } from '../src/sandbox/mobilpay/sandbox-keys';

// The simulator controls a chaos run drives: faults at a rate for a while, a token-expiry storm,
// and counts of what was injected (the run's table reports them, so they must be true).

function appWith(faults: FaultInjector) {
  const app = express();
  app.use(faults.middleware());
  app.get('/api/thing', (_req, res) => void res.json({ ok: true }));
  app.get('/page', (_req, res) => void res.json({ ok: true }));
  return app;
}

describe('FaultInjector', () => {
  test('a rule at a rate hits that share of the matching requests, and counts them by kind', async () => {
    const draws = [0.1, 0.9, 0.5, 0.15, 0.7]; // < 0.2 hits: the 1st and the 4th
    const faults = new FaultInjector(() => draws.shift() ?? 1);
    faults.add({ path: '/api', status: 503, probability: 0.2, forMs: 60_000 });
    const app = appWith(faults);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(app).get('/api/thing')).status);
    expect(statuses).toEqual([503, 200, 200, 503, 200]);
    expect(faults.applied).toEqual({ status: 2, latency: 0, hang: 0 });
    expect((await request(app).get('/page')).status).toBe(200); // another path: untouched
  });

  test('a rule with forMs lapses after that long; without it, after `times` requests', async () => {
    const faults = new FaultInjector(() => 0);
    faults.add({ status: 500, forMs: 50 });
    const app = appWith(faults);
    expect((await request(app).get('/api/thing')).status).toBe(500);
    expect((await request(app).get('/api/thing')).status).toBe(500);
    await new Promise((r) => setTimeout(r, 80));
    expect((await request(app).get('/api/thing')).status).toBe(200);
    faults.add({ latencyMs: 1, times: 1 });
    await request(app).get('/api/thing');
    expect(faults.applied).toEqual({ status: 2, latency: 1, hang: 0 });
    expect(faults.pending()).toBe(0);
  });
});

test('LinkC: a token-expiry storm makes every issued token answer 401 until parkflow authenticates again', async () => {
  const { app } = createLinkcSandbox({ user: { usuario: 'u', senha: 's' } });
  const token = (await request(app).post('/api/autenticacao').send({ usuario: 'u', senha: 's' })).body.token as string;
  const partners = () => request(app).get('/api/parceiros').set('accept', LINKC_ACCEPT).set('authorization', `Bearer ${token}`);
  expect((await partners()).status).toBe(200);
  expect((await request(app).post('/__sandbox/tokens/expire')).status).toBe(204);
  expect((await partners()).status).toBe(401);
});

test('MobilPay notifier: what it dropped, duplicated, delayed and reordered is counted', async () => {
  const received: string[] = [];
  const server = express()
    .use(express.json())
    .post('/ipn', (req, res) => {
      received.push(String(req.body.n));
      res.json({ errorType: 0 });
    })
    .listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/ipn`;
  const notifier = new Notifier(SANDBOX_NETOPIA_PRIVATE_KEY, () => Date.now(), { attempts: 1, delayMs: 1 });
  try {
    notifier.controls = { dropNext: 1, duplicateNext: 1, delayMs: 0, hold: true };
    for (const n of [1, 2, 3]) notifier.notify(url, { n }, 'POS');
    await notifier.release(); // held: 2 (twice) and 3, delivered newest first
    expect(received).toEqual(['3', '2', '2']);
    notifier.controls.delayMs = 20;
    notifier.notify(url, { n: 4 }, 'POS');
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toEqual(['3', '2', '2', '4']);
    expect(notifier.injected).toEqual({ dropped: 1, duplicated: 1, delayed: 1, reordered: 3 });
  } finally {
    server.close();
  }
});
