import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LinkcClient, StayAnswer, LINKC_ACCEPT } from '../src/activities/linkc/client';
import { FailureType } from '../src/domain/failures';
import { listen, type Listening } from '../src/sandbox/harness';
import { createLinkcSandbox, isoBrasilia, tariffMinor, type LinkcSandbox } from '../src/sandbox/linkc/app';

let sandbox: LinkcSandbox;
let server: Listening;
let client: LinkcClient;

beforeAll(async () => {
  sandbox = createLinkcSandbox({ tokenLifetimeSeconds: 600, transactionValiditySeconds: 120 });
  server = await listen(sandbox.app, 0);
  client = new LinkcClient({ baseUrl: server.url, usuario: 'parkflow', senha: 'sandbox-linkc-secret', timeoutMs: 2000 });
});
afterAll(() => server.close());
beforeEach(() => {
  sandbox.clock.reset();
  sandbox.faults.clear();
});

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('LinkC client against the simulator', () => {
  test("the seed's example payloads (estadia_calculo, permanencia, movimento) pass the client's schema", () => {
    const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/linkc-seed-payloads.json'), 'utf8'));
    for (const shape of ['estadia_calculo', 'permanencia', 'movimento']) expect({ shape, ok: StayAnswer.safeParse(fixtures[shape]).success }).toEqual({ shape, ok: true });
  });

  test('a stay by ticket and by plate: amounts as two-decimal strings, -03:00 offsets, a transaction when something is due', async () => {
    const byTicket = await client.lookupStay({ localizador: '1234567890' });
    expect(byTicket.due.value).toMatch(/^\d+\.\d{2}$/);
    expect(byTicket.transaction).toBeDefined();
    expect(Date.parse(byTicket.transaction!.validUntil) - Date.now()).toBeLessThanOrEqual(120_000);
    const raw = await fetch(`${server.url}/api/estadias?placa=ABC1234`, { headers: { accept: LINKC_ACCEPT, authorization: `Bearer ${await tokenOf()}` } });
    const body = (await raw.json()) as { permanencia: Record<string, string> };
    expect(body.permanencia.placa).toBe('ABC1234');
    expect(body.permanencia.entrada_datahora).toMatch(/-03:00$/);
    expect(body.permanencia.valor_total).toMatch(/^\d+\.\d{2}$/);
    expect(isoBrasilia(Date.UTC(2019, 7, 31, 4, 26, 44))).toBe('2019-08-31T01:26:44-03:00');
    expect(tariffMinor(10)).toBe(0);
    expect(tariffMinor(61)).toBe(750);
  });

  test('sandbox rules: a ticket starting with 9 and a plate starting with Z are not in the yard (404)', async () => {
    expect(await failure(client.lookupStay({ localizador: '9876' }))).toMatchObject({ type: FailureType.UpstreamNotFound, message: 'stay not found in the yard' });
    expect((await failure(client.lookupStay({ placa: 'ZAB1234' }))).type).toBe(FailureType.UpstreamNotFound);
  });

  test('400 for a missing parameter or a partner not allowed, naming the field', async () => {
    expect(await failure(client.lookupStay({}))).toMatchObject({ type: FailureType.UpstreamRejected, details: [expect.objectContaining({ status: 400, field: 'localizador' })] });
    expect((await failure(client.lookupStay({ localizador: '1', parceiroId: 42 }))).details).toEqual([expect.objectContaining({ field: 'parceiro_id' })]);
  });

  test('OSA partner: by ticket only, stays that entered through it, the movimento shape', async () => {
    expect((await failure(client.lookupStay({ placa: 'ABC1234', parceiroId: 2 }))).details).toEqual([expect.objectContaining({ field: 'placa' })]);
    expect((await failure(client.lookupStay({ localizador: '1234567890', parceiroId: 2 }))).type).toBe(FailureType.UpstreamNotFound);
    const osa = await client.lookupStay({ localizador: '5550001', parceiroId: 2 });
    // Paid at the garage: never a transaction, never "nothing due" — exit only until validade.
    expect(osa).toMatchObject({ localizador: '5550001', payableHere: false });
    expect(osa.transaction).toBeUndefined();
    const raw = await fetch(`${server.url}/api/estadias?localizador=5550001&parceiro_id=2`, { headers: { accept: LINKC_ACCEPT, authorization: `Bearer ${await tokenOf()}` } });
    const { movimento } = (await raw.json()) as { movimento: Record<string, string> };
    expect(Object.keys(movimento).sort()).toEqual(['documento', 'entrada_datahora', 'status', 'validade_datahora', 'valor_total']);
    expect(movimento.status).toBe('EM_ABERTO'); // entered 30+ minutes ago: money is due
    expect(Date.parse(osa.exitBy)).toBeLessThanOrEqual(sandbox.clock.now());
    expect(movimento.validade_datahora).toMatch(/-03:00$/);
  });

  test('only the versioned Accept header is served', async () => {
    const res = await fetch(`${server.url}/api/estadias?localizador=1`, { headers: { accept: 'application/json', authorization: `Bearer ${await tokenOf()}` } });
    expect(res.status).toBe(406);
  });

  test('an expired token is replaced by authenticating again, once for concurrent calls', async () => {
    await client.lookupStay({ localizador: '1111' });
    sandbox.clock.advance(601_000);
    const before = sandbox.stats.authentications;
    const stays = await Promise.all(Array.from({ length: 10 }, () => client.lookupStay({ localizador: '1111' })));
    expect(stays.every((s) => s.localizador === '1111')).toBe(true);
    expect(sandbox.stats.authentications).toBe(before + 1);
  });

  test('registration consumes the transaction: reused → 422 read as "already registered", expired → TransactionExpired', async () => {
    const stay = await client.lookupStay({ localizador: '2222' });
    expect(await client.registerPayment(stay.transaction!.id)).toMatchObject({ registered: 'now' });
    expect((await client.lookupStay({ localizador: '2222' })).due.value).toBe('0.00');
    // Only we ever had this id: a 422 TRANSACAO_UTILIZADA means our earlier try went through.
    expect(await client.registerPayment(stay.transaction!.id)).toEqual({ registered: 'already' });
    expect(sandbox.paymentRequests.filter((r) => r.transacao === stay.transaction!.id).map((r) => r.outcome)).toEqual(['registered', 'reused']);

    const later = await client.lookupStay({ localizador: '3333' });
    sandbox.clock.advance(121_000);
    expect((await failure(client.registerPayment(later.transaction!.id))).type).toBe(FailureType.TransactionExpired);
    expect(sandbox.paymentRequests.filter((r) => r.transacao === later.transaction!.id).map((r) => r.outcome)).toEqual(['expired']);
  });

  test('a car that left the yard cannot be looked up', async () => {
    const stay = await client.lookupStay({ localizador: '4444' });
    await client.registerPayment(stay.transaction!.id);
    expect((await fetch(`${server.url}/__sandbox/estadias/4444/saida`, { method: 'POST' })).status).toBe(200);
    expect((await failure(client.lookupStay({ localizador: '4444' }))).type).toBe(FailureType.UpstreamNotFound);
  });
});

async function tokenOf(): Promise<string> {
  const res = await fetch(`${server.url}/api/autenticacao`, { method: 'POST', headers: { 'content-type': 'application/json', accept: LINKC_ACCEPT }, body: JSON.stringify({ usuario: 'parkflow', senha: 'sandbox-linkc-secret' }) });
  return ((await res.json()) as { token: string }).token;
}
