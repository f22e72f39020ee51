import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// `npm start` restarted mid-journey: the Temporal dev server keeps its state in DATA_DIR, and so do
// the simulators (one JSON file each). Here Temporal keeps running while the service (worker and
// API) and every simulator stop and start again with the same data directory: each journey
// continues where it was and completes.

let stack: Stack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'parkflow-restart-'));
  stack = await startStack({}, { dataDir });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
  rmSync(dataDir, { recursive: true, force: true });
});

const view = async (id: string) => (await stack.api(`/v1/journeys/${id}`)).body;
const stateIs = (id: string, state: string) =>
  eventually(async () => ((await view(id)).state === state ? true : undefined), 30_000, `journey ${id} ${state}`);
const form = (url: string, fields: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

describe('a restart of the service and the simulators (same DATA_DIR, Temporal kept running)', () => {
  test('a Parking+Plus journey restarted while active and again while awaiting payment completes', async () => {
    const linked = await stack.api('/v1/accounts', {
      body: { provider: 'parkingplus', grant: 'password', username: 'restart@example.com', password: 'sekret' },
    });
    expect(linked.status).toBe(201);
    const started = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID() },
      body: { provider: 'parkingplus', accountId: linked.body.accountId, securedParkingId: 187, plate: 'B123XYZ' },
    });
    expect(started.status).toBe(201);
    const { id } = started.body;
    const session = started.body.upstream.reference;
    const gate = () => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${session}/gate`, { method: 'POST' });
    expect((await gate()).status).toBe(200);
    expect((await stack.api(`/v1/journeys/${id}/enter`, { body: {} })).body.state).toBe('active');
    expect(existsSync(path.join(dataDir, 'simulators', 'parkingplus.json'))).toBe(true);

    await stack.restart();
    const finalized = await stack.api(`/v1/journeys/${id}/finalize`, { body: {} });
    expect(finalized.body.state).toBe('awaiting_payment');

    await stack.restart();
    // The order, the pay page and the driver's tokens are still there: no 404, no needs_reauth.
    const paid = await form(finalized.body.payment.redirectUrl, { processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' });
    expect(await paid.text()).toContain('Payment sent'); // the pay page sent the WebView back to parkflow (return_url)
    await stateIs(id, 'paid');
    expect((await stack.api(`/v1/journeys/${id}/exit`, { body: {} })).body.state).toBe('exiting');
    expect((await gate()).status).toBe(200);
    await stateIs(id, 'completed');
    const done = await view(id);
    expect(done.timeline.map((t: { state: string }) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid', 'exiting', 'completed']);
    expect((await stack.api(`/v1/accounts/${linked.body.accountId}`)).body.status).toBe('linked');
  });

  test('a LinkC journey restarted with its MobilPay order open is paid, registered with LinkC and completes', async () => {
    const started = await stack.api('/v1/journeys', {
      headers: { 'idempotency-key': randomUUID() },
      body: { provider: 'linkc', localizador: '1234567800' },
    });
    expect(started.status).toBe(201);
    const { id } = started.body;
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    expect(pay.status).toBe(200);

    await stack.restart();
    const page = await form(pay.body.redirectUrl, { card_number: '9900004810225098', cvv: '111' });
    expect(await page.text()).toContain('Payment approved');
    await stateIs(id, 'paid');
    expect(stack.linkc.paymentRequests.filter((r) => r.outcome === 'registered')).toHaveLength(1);
    expect(stack.mobilPay.ledger.holdingOrdersByJourney()[id]).toBe(1);

    expect((await stack.api(`/v1/journeys/${id}/exit`, { body: {} })).body.state).toBe('exiting');
    const linkcUrl = stack.config.LINKC_BASE_URL;
    expect((await fetch(`${linkcUrl}/__sandbox/estadias/1234567800/saida`, { method: 'POST' })).status).toBe(200);
    await stateIs(id, 'completed');
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
