import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import path from 'node:path';
import { LinkcClient, StayAnswer, LINKC_ACCEPT } from '../src/activities/linkc/client';
import { FailureType } from '../src/domain/failures';
import { listen, type Listening } from '../src/sandbox/harness';
import { createLinkcSandbox, isoBrasilia, linkcAmount, tariffMinor, type LinkcSandbox } from '../src/sandbox/linkc/app';
import { failure } from './support/failure';

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
  // The simulator's clock stands still in these tests and moves only when told: a reading here is
  // the instant its handlers see (a real-time clock let a second tick between them, one run in many).
  const frozenAt = Date.now();
  sandbox.clock.now = () => frozenAt + sandbox.clock.offsetMs;
  sandbox.clock.reset();
  sandbox.faults.clear();
  sandbox.settings.exitToleranceSeconds = 900;
});

const MINUTE = 60_000;
const headers = async () => ({ accept: LINKC_ACCEPT, authorization: `Bearer ${await tokenOf()}` });
/** The simulator's raw answer for a ticket (as parkflow's partner; 2 = the OSA partner). */
type Answer = { estadia_calculo: Record<string, string>; movimento: Record<string, string> };
async function raw(localizador: string, parceiroId?: number): Promise<Answer> {
  const query = parceiroId === undefined ? '' : `&parceiro_id=${parceiroId}`;
  return (await (await fetch(`${server.url}/api/estadias?localizador=${localizador}${query}`, { headers: await headers() })).json()) as Answer;
}
/** A ticket in the yard, entered `minutes` ago by the simulator's clock. */
async function parked(localizador: string, minutes: number): Promise<void> {
  await raw(localizador, localizador.startsWith('5') ? 2 : undefined);
  sandbox.stays.get(localizador)!.entradaMs = sandbox.clock.now() - minutes * MINUTE;
}
const kiosk = (localizador: string, amountMinor: number) =>
  fetch(`${server.url}/__sandbox/estadias/${localizador}/kiosk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amountMinor }) });

describe('LinkC client against the simulator', () => {
  test("the seed's example payloads (estadia_calculo, permanencia, movimento) pass the client's schema", () => {
    const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/linkc-seed-payloads.json'), 'utf8'));
    for (const shape of ['estadia_calculo', 'permanencia', 'movimento']) expect({ shape, ok: StayAnswer.safeParse(fixtures[shape]).success }).toEqual({ shape, ok: true });
  });

  test("a stay by ticket and by plate: parkflow's two-decimal amounts, -03:00 offsets, a transaction when something is due", async () => {
    const byTicket = await client.lookupStay({ localizador: '1234567890' });
    expect(byTicket.due.value).toMatch(/^\d+\.\d{2}$/);
    expect(byTicket.transaction).toBeDefined();
    expect(Date.parse(byTicket.transaction!.validUntil) - Date.now()).toBeLessThanOrEqual(120_000);
    const raw = await fetch(`${server.url}/api/estadias?placa=ABC1234`, { headers: { accept: LINKC_ACCEPT, authorization: `Bearer ${await tokenOf()}` } });
    const body = (await raw.json()) as { permanencia: Record<string, string> };
    expect(body.permanencia.placa).toBe('ABC1234');
    expect(body.permanencia.entrada_datahora).toMatch(/-03:00$/);
    expect(body.permanencia.valor_total).toMatch(/^\d+\.\d{1,2}$/); // the seed's form, e.g. 10.5
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
    expect(Object.keys(movimento).sort()).toEqual(['documento', 'entrada_datahora', 'localizador', 'status', 'validade_datahora', 'valor_total']);
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

  // 003-33: the seed's examples write "10.5", "5.5", "5.0".
  test("amounts in the seed's form (10.5, 5.0, 2.25) reach parkflow as exact two-decimal strings", async () => {
    expect([1050, 550, 500, 725, 0, 12345].map(linkcAmount)).toEqual(['10.5', '5.5', '5.0', '7.25', '0.0', '123.45']);
    await parked('6001', 90); // R$ 7,50; R$ 2,25 paid at the kiosk; R$ 5,25 due
    expect((await kiosk('6001', 225)).status).toBe(200);
    const { estadia_calculo: answer } = await raw('6001');
    expect(answer).toMatchObject({ valor_total: '7.5', desconto: '0.0', valor_pago: '2.25', valor_devido: '5.25', valor_parceiro: '5.25', valor_adquirente: '5.25' });
    const stay = await client.lookupStay({ localizador: '6001' });
    expect({ total: stay.total, paid: stay.paid, due: stay.due }).toEqual({
      total: { value: '7.50', currency: 'BRL' },
      paid: { value: '2.25', currency: 'BRL' },
      due: { value: '5.25', currency: 'BRL' },
    });
    await parked('6002', 50);
    expect((await raw('6002')).estadia_calculo.valor_devido).toBe('5.0');
    expect((await client.lookupStay({ localizador: '6002' })).due.value).toBe('5.00');
    // The seed's own example, through the same schema; more than two significant decimals is refused, never rounded.
    const fixtures = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/linkc-seed-payloads.json'), 'utf8'));
    const seedAnswer = await answering(fixtures.estadia_calculo, (other) => other.lookupStay({ localizador: '1234567890' }));
    expect([seedAnswer.total.value, seedAnswer.paid.value, seedAnswer.due.value]).toEqual(['10.50', '5.50', '5.00']);
    const tooPrecise = { estadia_calculo: { ...fixtures.estadia_calculo.estadia_calculo, valor_devido: '5.005' } };
    expect((await failure(answering(tooPrecise, (other) => other.lookupStay({ localizador: '1234567890' })))).type).toBe(FailureType.UpstreamContractViolation);
  });

  // 003-20: the OSA answer's fields; validade_datahora is the exit-by time.
  test('OSA movimento: localizador, status, entrada_datahora, validade_datahora, valor_total; settled: FINALIZADO with saida_datahora; exit-by = validade_datahora', async () => {
    await parked('5550002', 50);
    const open = (await raw('5550002', 2)).movimento;
    expect(open).toEqual({
      localizador: '5550002',
      documento: '5550002',
      status: 'EM_ABERTO',
      entrada_datahora: isoBrasilia(sandbox.clock.now() - 50 * MINUTE),
      validade_datahora: isoBrasilia(sandbox.clock.now()),
      valor_total: '5.0',
    });
    expect((await kiosk('5550002', 500)).status).toBe(200); // paid at the garage: exit tolerance to 65 minutes
    const paidAt = sandbox.clock.now();
    sandbox.clock.advance(MINUTE);
    const settled = (await raw('5550002', 2)).movimento;
    expect(settled).toMatchObject({ status: 'FINALIZADO', valor_total: '5.0', validade_datahora: isoBrasilia(paidAt + 15 * MINUTE) });
    expect(settled.saida_datahora).toBe(settled.validade_datahora);
    const stay = await client.lookupStay({ localizador: '5550002', parceiroId: 2 });
    expect(stay).toMatchObject({ localizador: '5550002', payableHere: false, total: { value: '5.00' }, due: { value: '0.00' } });
    expect(Date.parse(stay.exitBy)).toBe(Date.parse(settled.validade_datahora!));
    // validade_datahora is the exit-by time even when a saida_datahora says otherwise.
    const both = { movimento: { ...settled, saida_datahora: isoBrasilia(paidAt + 99 * MINUTE) } };
    const read = await answering(both, (other) => other.lookupStay({ localizador: '5550002', parceiroId: 2 }));
    expect(Date.parse(read.exitBy)).toBe(Date.parse(settled.validade_datahora!));
  });

  // The exit tolerance (a garage setting, assumed): after a payment nothing more is due until
  // validade_datahora = the payment + the tolerance; after it, the tariff again.
  test('exit tolerance: paid at 59 minutes, the hour boundary asks nothing more until payment + 15 min; then the tariff again', async () => {
    expect(sandbox.settings.exitToleranceSeconds).toBe(900);
    await parked('6003', 59);
    const quoted = await client.lookupStay({ localizador: '6003' });
    expect(quoted.due.value).toBe('5.00');
    sandbox.clock.advance(90_000); // 60.5 minutes: a started second hour, the id still valid
    expect(await client.registerPayment(quoted.transaction!.id)).toMatchObject({ registered: 'now' });
    const paidAt = sandbox.clock.now();
    const after = await client.lookupStay({ localizador: '6003' });
    expect(after).toMatchObject({ total: { value: '5.00' }, paid: { value: '5.00' }, due: { value: '0.00' } });
    expect(after.transaction).toBeUndefined();
    expect(Date.parse(after.exitBy)).toBe(Math.floor((paidAt + 15 * MINUTE) / 1000) * 1000);
    sandbox.clock.advance(14 * MINUTE); // still within the tolerance: nothing due, exit allowed
    expect((await client.lookupStay({ localizador: '6003' })).due.value).toBe('0.00');
    sandbox.clock.advance(2 * MINUTE); // past it: charged from the tariff again (R$ 7,50 − R$ 5,00)
    const overstayed = await client.lookupStay({ localizador: '6003' });
    expect(overstayed).toMatchObject({ total: { value: '7.50' }, due: { value: '2.50' } });
    expect(Date.parse(overstayed.exitBy)).toBeLessThanOrEqual(sandbox.clock.now());
    expect((await fetch(`${server.url}/__sandbox/estadias/6003/saida`, { method: 'POST' })).status).toBe(409);
  });

  test('exit tolerance is a garage setting with a control; the car may leave within it', async () => {
    const set = await fetch(`${server.url}/__sandbox/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ exitToleranceSeconds: 300 }) });
    expect(await set.json()).toMatchObject({ exitToleranceSeconds: 300 });
    await parked('6004', 58);
    const quoted = await client.lookupStay({ localizador: '6004' });
    await client.registerPayment(quoted.transaction!.id);
    const paidAt = sandbox.clock.now();
    expect((await raw('6004')).estadia_calculo).toMatchObject({ valor_devido: '0.0', validade_datahora: isoBrasilia(paidAt + 5 * MINUTE) });
    sandbox.clock.advance(4 * MINUTE); // past the hour, within the 5 minutes
    expect((await raw('6004')).estadia_calculo.valor_devido).toBe('0.0');
    expect((await fetch(`${server.url}/__sandbox/estadias/6004/saida`, { method: 'POST' })).status).toBe(200);
    // Paid early in the hour: nothing is due until the tariff's next step, later than the tolerance.
    await parked('6005', 20);
    await client.registerPayment((await client.lookupStay({ localizador: '6005' })).transaction!.id);
    const entered = sandbox.stays.get('6005')!.entradaMs;
    expect((await raw('6005')).estadia_calculo.validade_datahora).toBe(isoBrasilia(entered + 60 * MINUTE));
  });

  test('a car that left the yard cannot be looked up', async () => {
    const stay = await client.lookupStay({ localizador: '4444' });
    await client.registerPayment(stay.transaction!.id);
    expect((await fetch(`${server.url}/__sandbox/estadias/4444/saida`, { method: 'POST' })).status).toBe(200);
    expect((await failure(client.lookupStay({ localizador: '4444' }))).type).toBe(FailureType.UpstreamNotFound);
  });
});

/** Runs `use` with a client of a one-off LinkC that answers every look-up with `answer`. */
async function answering<T>(answer: unknown, use: (other: LinkcClient) => Promise<T>): Promise<T> {
  const fixed = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const auth = { token: 'fixed', expiracao_datahora: isoBrasilia(Date.now() + 3_600_000) };
    res.end(JSON.stringify(req.url?.startsWith('/api/autenticacao') ? auth : answer));
  });
  await new Promise<void>((resolve) => fixed.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = fixed.address() as AddressInfo;
    return await use(new LinkcClient({ baseUrl: `http://127.0.0.1:${port}`, usuario: 'u', senha: 's', timeoutMs: 2000 }));
  } finally {
    fixed.close();
  }
}

async function tokenOf(): Promise<string> {
  const res = await fetch(`${server.url}/api/autenticacao`, { method: 'POST', headers: { 'content-type': 'application/json', accept: LINKC_ACCEPT }, body: JSON.stringify({ usuario: 'parkflow', senha: 'sandbox-linkc-secret' }) });
  return ((await res.json()) as { token: string }).token;
}
