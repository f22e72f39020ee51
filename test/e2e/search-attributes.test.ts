import { Client, type HistoryAndWorkflowId } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { type temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { plateSearchKey } from '../../src/domain/plate-key';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { JOURNEY_MEMO } from '../../src/workflows/journey-memo';
import {
  JOURNEY_SEARCH_ATTRIBUTES,
  JourneyPlate,
  JourneyPlateKey,
  JourneyProvider,
  JourneyReference,
  JourneyState,
  JourneyTenant,
  PaymentMethod,
  PaymentStatus,
} from '../../src/workflows/search-attributes';
import { expectNoClearSecrets, findClearValues, rawExecutions, rawRecords, type RecordedRun } from '../support/history-scan';
import { payOnHostedPage, payOnParkingPlusPage } from '../support/payments';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';

// Journeys of three operators on the dev server, found by their search attributes with a raw
// Temporal client and through GET /v1/journeys?plate=. The plate is in no search attribute (only
// its keyed digest, JourneyPlateKey); the memo (encrypted) carries the summary the list shows.

let stack: Stack;
/** A client with the default data converter: what any Temporal tool sees, nothing decoded. */
let raw: Client;
const ROOT = path.resolve(__dirname, '../..');
const PLATES = { parkingplus: 'cj-07-sax', linkc: 'RIO2A19', ector: 'EF-456-GH' };
const CONTACT = { firstName: 'Ondine', lastName: 'Lefebvre', email: 'ondine.lefebvre@example.com', phone: '06 11 22 33 44' };
const journeys: Record<'parkingplus' | 'linkc' | 'ector', string> = { parkingplus: '', linkc: '', ector: '' };
/** Journeys started as an older build would have left them, with the plate in clear: kept out of the scan. */
const legacy: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  raw = new Client({ connection: stack.env.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const start = (body: Record<string, unknown>) => stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body });
const view = async (id: string) => (await stack.api(`/v1/journeys/${id}`)).body;
const stateIs = (id: string, state: string) => eventually(async () => ((await view(id)).state === state ? true : undefined), 20_000, state);
const keyOf = (plate: string) => plateSearchKey(plate, stack.config.PARKFLOW_SECRET_KEY);

/** The workflow ids a visibility query finds, once it finds `expected` (visibility lags a little). */
async function listed(query: string, expected: string[]): Promise<string[]> {
  let ids: string[] = [];
  await eventually(async () => {
    ids = [];
    ids = (await rawExecutions(stack, query)).map((e) => e.execution!.workflowId!);
    return expected.every((id) => ids.includes(id)) ? true : undefined;
  }, 15_000, query);
  return ids.sort();
}

/** The JourneyState values a journey's history upserted, in order. */
async function upsertedStates(id: string): Promise<string[]> {
  const { events } = await raw.workflow.getHandle(id).fetchHistory();
  return (events ?? [])
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[JourneyState.name])
    .filter((p): p is temporal.api.common.v1.IPayload => !!p)
    .map((p) => String(defaultPayloadConverter.fromPayload<string>(p)));
}

describe('finding journeys by search attribute on the dev server', () => {
  test('a Parking+Plus journey from entrance to exit: its state upserted at every transition, its memo summarising it', async () => {
    const linked = await stack.api('/v1/accounts', {
      body: { provider: 'parkingplus', grant: 'password', username: 'search-attributes@example.com', password: 'sekret' },
    });
    const started = await start({ provider: 'parkingplus', accountId: linked.body.accountId, securedParkingId: 187, plate: PLATES.parkingplus });
    expect(started.status).toBe(201);
    const id = (journeys.parkingplus = started.body.id);
    const session = started.body.upstream.reference;
    const gate = () => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${session}/gate`, { method: 'POST' });
    await gate();
    expect((await stack.api(`/v1/journeys/${id}/enter`, { body: {} })).body.state).toBe('active');
    expect((await stack.api(`/v1/journeys/${id}/finalize`, { body: {} })).body.state).toBe('awaiting_payment');
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });
    await payOnParkingPlusPage(pay.body.redirectUrl);
    await stateIs(id, 'paid');
    await stack.api(`/v1/journeys/${id}/exit`, { body: {} });
    await gate();
    await stateIs(id, 'completed');

    const timeline = (await view(id)).timeline.map((t: { state: string }) => t.state);
    expect(timeline).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid', 'exiting', 'completed']);
    expect(await upsertedStates(id)).toEqual(timeline);

    const described = await stack.service.temporal.workflow.getHandle(id).describe();
    expect(described.typedSearchAttributes.get(JourneyProvider)).toBe('parkingplus');
    expect(described.typedSearchAttributes.get(JourneyState)).toBe('completed');
    expect(described.typedSearchAttributes.get(JourneyReference)).toBe(String(session));
    expect(described.typedSearchAttributes.get(JourneyPlateKey)).toBe(keyOf('CJ07SAX'));
    expect(described.typedSearchAttributes.get(JourneyPlate)).toBeUndefined();
    expect(described.memo?.[JOURNEY_MEMO]).toEqual({
      provider: 'parkingplus',
      state: 'completed',
      plate: 'CJ-07-SAX',
      reference: String(session),
      amountDue: '5.00',
      amountPaid: '5.00',
      currency: 'RON',
    });
  });

  test('a LinkC journey by plate, paid through MobilPay: its payment workflow carries PaymentMethod and PaymentStatus', async () => {
    const started = await start({ provider: 'linkc', placa: PLATES.linkc });
    expect(started.body.state).toBe('awaiting_payment');
    const id = (journeys.linkc = started.body.id);
    const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: { method: 'mobilpay' } });
    await payOnHostedPage(stack, pay.body, '9900004810225098');
    await stateIs(id, 'paid');

    expect(await upsertedStates(id)).toEqual(['active', 'awaiting_payment', 'paid']);
    const memo = (await stack.service.temporal.workflow.getHandle(id).describe()).memo?.[JOURNEY_MEMO];
    expect(memo).toMatchObject({ provider: 'linkc', state: 'paid', plate: 'RIO2A19', currency: 'BRL', amountPaid: started.body.amount.value });
    const payment = `payment-${id}.1`;
    expect(await listed(`PaymentMethod = 'mobilpay' AND PaymentStatus = 'captured'`, [payment])).toContain(payment);
    const attributes = (await stack.service.temporal.workflow.getHandle(payment).describe()).typedSearchAttributes;
    expect([attributes.get(PaymentMethod), attributes.get(PaymentStatus)]).toEqual(['mobilpay', 'captured']);
  });

  test('an Ector booking, cancelled unpaid', async () => {
    await eventually(async () => ((await stack.api('/v1/ector/zones')).status === 200 ? true : undefined), 30_000, 'the zone cache');
    const day = (n: number) => new Date(Date.now() + n * 24 * 3600_000).toISOString().slice(0, 10);
    const started = await start({
      provider: 'ector',
      zoneId: 'ORY',
      startAt: `${day(4)}T08:00:00`,
      endAt: `${day(6)}T20:00:00`,
      contact: CONTACT,
      car: { plate: PLATES.ector },
    });
    expect(started.body.state).toBe('awaiting_payment');
    const id = (journeys.ector = started.body.id);
    expect((await stack.api(`/v1/journeys/${id}/cancel`, { body: { reason: 'plans changed' } })).body.state).toBe('cancelled');
    expect(await upsertedStates(id)).toEqual(['awaiting_payment', 'cancelled']);
  });

  test('the raw client lists them by JourneyProvider, JourneyState, JourneyPlateKey and JourneyReference', async () => {
    const { parkingplus, linkc, ector } = journeys;
    const all = [parkingplus, linkc, ector];
    expect(await listed(`JourneyTenant = 'e2e'`, all)).toEqual(expect.arrayContaining(all));
    expect(await listed(`JourneyProvider = 'parkingplus' AND JourneyState = 'completed'`, [parkingplus])).toEqual([parkingplus]);
    expect(await listed(`JourneyProvider = 'linkc'`, [linkc])).toEqual([linkc]);
    expect(await listed(`JourneyProvider = 'ector' AND JourneyState = 'cancelled'`, [ector])).toEqual([ector]);
    expect(await listed(`JourneyState IN ('paid', 'completed')`, [parkingplus, linkc])).toEqual([linkc, parkingplus].sort());
    for (const [provider, plate] of Object.entries(PLATES)) {
      const id = journeys[provider as keyof typeof journeys];
      expect(await listed(`JourneyPlateKey = '${keyOf(plate)}'`, [id])).toEqual([id]);
    }
    const reference = (await view(linkc)).upstream.reference;
    expect(await listed(`JourneyReference = '${reference}'`, [linkc])).toEqual([linkc]);
  });

  test('GET /v1/journeys?plate= finds the plate however it is typed, and shows it from the memo', async () => {
    for (const typed of ['CJ-07-SAX', 'cj07sax']) {
      const res = await eventually(async () => {
        const answer = await stack.api(`/v1/journeys?plate=${encodeURIComponent(typed)}`);
        return answer.body.journeys?.length === 1 ? answer : undefined;
      });
      expect(res.body.journeys).toEqual([expect.objectContaining({ id: journeys.parkingplus, provider: 'parkingplus', state: 'completed', plate: 'CJ-07-SAX' })]);
    }
    const linkc = await stack.api('/v1/journeys?plate=rio2a19&provider=linkc');
    expect(linkc.body.journeys.map((j: { id: string; plate: string }) => [j.id, j.plate])).toEqual([[journeys.linkc, 'RIO2A19']]);
    expect((await stack.api('/v1/journeys?plate=XX-000-XX')).body.journeys).toEqual([]);
    const bad = await stack.api('/v1/journeys?plate=no%20spaces%20here');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'plate' })]);
  });

  test('no plate is in any search attribute: not at the start, not upserted, not in visibility', async () => {
    const runs: RecordedRun[] = [];
    for (const execution of await rawExecutions(stack)) {
      const { workflowId, runId } = execution.execution!;
      const { events } = await raw.workflow.getHandle(workflowId!, runId!).fetchHistory();
      const upserted = (events ?? []).map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes);
      const atStart = events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes;
      runs.push({ workflowId: workflowId!, records: [execution.searchAttributes, atStart, ...upserted] });
    }
    expect(runs.map((r) => r.workflowId)).toEqual(expect.arrayContaining(Object.values(journeys)));
    const plates = Object.values(PLATES).flatMap((p) => [p, p.toUpperCase().replace(/-/g, '')]);
    expect(findClearValues(runs, plates)).toEqual([]);
    // The scan does read search attributes: it finds the plate's search key.
    expect(findClearValues(runs, [keyOf('CJ07SAX')])).toEqual([{ workflowId: journeys.parkingplus, value: keyOf('CJ07SAX') }]);
  });

  test('a journey started before the plate key, carrying JourneyPlate, has it removed at its first transition', async () => {
    const workflowId = `journey-e2e-legacy-${randomUUID().slice(0, 8)}`;
    const handle = await stack.service.temporal.workflow.start('linkcJourney', {
      workflowId,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ lookup: { localizador: '55001234' }, requestHash: 'legacy', polling: { firstMs: 200, maxMs: 1000 } }],
      typedSearchAttributes: [
        { key: JourneyTenant, value: 'e2e-legacy' },
        { key: JourneyPlate, value: 'OLD1234' },
      ],
    });
    const attributes = await eventually(async () => {
      const described = await handle.describe();
      return described.typedSearchAttributes.get(JourneyState) === 'awaiting_payment' ? described.typedSearchAttributes : undefined;
    });
    expect(attributes.get(JourneyPlate)).toBeUndefined();
    await handle.terminate('test done');
    legacy.push(workflowId); // its start event holds the plate in clear, as a journey from before would
    // The scan of the dev server's records does see it there: it would fail on such a journey.
    const runs = (await rawRecords(stack)).filter((run) => run.workflowId === workflowId);
    expect(findClearValues(runs, ['OLD1234'])).toEqual([{ workflowId, value: 'OLD1234' }]);
  });
});

describe('registering the search attributes', () => {
  test('ensureSearchAttributes keeps what exists, adds what is missing, and refuses a type clash', async () => {
    const client = stack.service.temporal;
    const namespace = stack.config.TEMPORAL_NAMESPACE;
    expect(await ensureSearchAttributes(client, namespace)).toEqual({ added: [], present: JOURNEY_SEARCH_ATTRIBUTES.map((k) => k.name) });
    const probe = { name: `ParkflowProbe${Date.now()}`, type: 'KEYWORD' as const };
    expect(await ensureSearchAttributes(client, namespace, [probe])).toEqual({ added: [probe.name], present: [] });
    expect(await ensureSearchAttributes(client, namespace, [probe])).toEqual({ added: [], present: [probe.name] });
    await expect(ensureSearchAttributes(client, namespace, [{ ...probe, type: 'DATETIME' }])).rejects.toThrow(/exists .* as INDEXED_VALUE_TYPE_KEYWORD/);
  });

  test('npm run search-attributes registers them on the cluster the environment names, and is safe to repeat', () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE, LOG_LEVEL: 'info' };
    const out = execFileSync('npx', ['tsx', 'scripts/search-attributes.ts'], { cwd: ROOT, env, encoding: 'utf8' });
    const line = JSON.parse(out.trim().split('\n').pop()!);
    expect(line).toMatchObject({ msg: 'search attributes in place', added: [], present: JOURNEY_SEARCH_ATTRIBUTES.map((k) => k.name) });
  });

  test('npm run plate-key prints the query an operator pastes into the UI', () => {
    const env = { ...process.env, PARKFLOW_SECRET_KEY: stack.config.PARKFLOW_SECRET_KEY };
    const out = execFileSync('npx', ['tsx', 'scripts/plate-key.ts', 'cj 07-sax'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(out.trim()).toBe(`JourneyPlateKey = "${keyOf('CJ07SAX')}"`);
  });
});

test('the histories of this run replay against the workflow code', async () => {
  const histories: HistoryAndWorkflowId[] = [];
  for await (const item of stack.service.temporal.workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories()) histories.push(item);
  expect(histories.length).toBeGreaterThanOrEqual(5);
  for await (const result of Worker.runReplayHistories(await replayOptions(), histories)) {
    expect({ workflowId: result.workflowId, error: result.error?.message }).toEqual({ workflowId: result.workflowId, error: undefined });
  }
});

test('no secret or personal datum of this run is in clear in any history or visibility record', async () => {
  await expectNoClearSecrets(stack, [...Object.values(PLATES), ...Object.values(CONTACT), '0611223344', 'OLD1234'], legacy);
});
