import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';
import { normalisePlate } from '../../src/domain/plate-key';
import { type Stack } from './stack';

// What `temporal workflow show` (or anyone with the server's database) reads: every history and
// visibility record of the stack's namespace, fetched by a client with the default data converter,
// so nothing is decoded. No secret or personal datum the tests used may be found there in clear.

/** Every sandbox card number the tests type (README's list): none may ever reach a history. */
export const SANDBOX_CARDS = [
  '9900004810225098',
  '99110059532258',
  '9900541631437790',
  '9900518572831942',
  '9900827979991500',
  '9900005786662552',
  '9900576270414197',
  '9900130597497640',
  '4000000000000002',
  '4000000000000515',
  '4000000000000051',
  '4000000000000549',
];

/** Shorter values (e.g. the sandbox driver's name "name") would match ordinary words. */
const MIN_LENGTH = 5;

export interface RecordedRun {
  workflowId: string;
  /** The history and the visibility record (search attributes, memo) as the server returns them. */
  records: unknown[];
}

export interface ClearFinding {
  workflowId: string;
  value: string;
}

/** The visibility records a query finds, as the server sends them (memo and search attributes undecoded). */
export async function rawExecutions(stack: Stack, query = ''): Promise<temporal.api.workflow.v1.IWorkflowExecutionInfo[]> {
  const executions: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.env.connection.workflowService.listWorkflowExecutions({
      namespace: stack.config.TEMPORAL_NAMESPACE,
      query,
      nextPageToken,
    });
    executions.push(...(page.executions ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return executions;
}

/** Every history and visibility record of the namespace, undecoded. */
export async function rawRecords(stack: Stack): Promise<RecordedRun[]> {
  const raw = new Client({ connection: stack.env.connection, namespace: stack.config.TEMPORAL_NAMESPACE }); // default converter: no codec
  const runs: RecordedRun[] = [];
  for (const execution of await rawExecutions(stack)) {
    const { workflowId, runId } = execution.execution ?? {};
    try {
      const history = await raw.workflow.getHandle(workflowId!, runId!).fetchHistory();
      runs.push({ workflowId: workflowId!, records: [history, execution] });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // deleted (visibility follows a little later)
    }
  }
  return runs;
}

/** The values found in clear: as bytes of a payload (UTF-8) or as text, case-insensitive, as a whole word. */
export function findClearValues(runs: RecordedRun[], values: Iterable<string>): ClearFinding[] {
  const wanted = [...new Set([...values].map((v) => v.trim()).filter((v) => v.length >= MIN_LENGTH))];
  const patterns = wanted.map((value) => ({ value, pattern: new RegExp(`(?<![0-9A-Za-z])${escape(value)}(?![0-9A-Za-z])`, 'i') }));
  const findings: ClearFinding[] = [];
  for (const run of runs) {
    const text = textOf(run.records);
    for (const { value, pattern } of patterns) if (pattern.test(text)) findings.push({ workflowId: run.workflowId, value });
  }
  return findings;
}

/** Every secret and personal datum the stack's simulators and configuration know, and every plate the API answered. */
export function knownSecrets(stack: Stack): string[] {
  const c = stack.config;
  const plates = [
    ...[...stack.linkc.stays.values()].map((s) => s.placa),
    ...[...stack.ector.cars.values()].map((car) => car.plate),
    ...stack.responses.flatMap((r) => platesIn(r.body)),
  ];
  return [
    c.PARKFLOW_SECRET_KEY,
    c.PARKINGPLUS_CLIENT_SECRET,
    c.LINKC_SENHA,
    c.ECTOR_API_KEY,
    c.MOBILPAY_API_KEY,
    c.EPX_MAC,
    ...c.PARKFLOW_PAYLOAD_KEYS.map((k) => k.key),
    ...c.PARKFLOW_OPERATOR_KEYS,
    ...c.API_KEYS.map((k) => k.key),
    ...[...stack.parkingPlus.world.drivers.values()].flatMap((d) => [d.email, d.password, d.facebookAccessToken, d.firstName, d.lastName, d.phone]),
    ...stack.parkingPlus.world.accessTokens.keys(),
    ...stack.parkingPlus.world.refreshTokens.keys(),
    ...stack.linkc.tokens.keys(),
    ...[...stack.ector.contacts.values()].flatMap((p) => [p.first_name, p.last_name, p.email, p.phone, p.phone.replace(/^\+/, '')]),
    ...SANDBOX_CARDS,
    ...plates.flatMap((plate) => [plate, normalisePlate(plate)]),
  ];
}

/**
 * Fails naming each workflow and value found in clear. `extra`: what the test file typed itself
 * (contact names, phones as typed, rotated keys); `except`: workflows a test wrote a datum into on
 * purpose. Call it in afterAll, before stack.stop().
 */
export async function expectNoClearSecrets(stack: Stack, extra: Iterable<string> = [], except: string[] = []): Promise<void> {
  const runs = (await rawRecords(stack)).filter((run) => !except.includes(run.workflowId));
  expect(runs.length).toBeGreaterThan(0);
  expect(findClearValues(runs, [...knownSecrets(stack), ...extra])).toEqual([]);
}

function platesIn(body: unknown): string[] {
  if (Array.isArray(body)) return body.flatMap(platesIn);
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) => (key === 'plate' && typeof value === 'string' ? [value] : platesIn(value)));
}

/** Every string of a record, payload bytes decoded as UTF-8 (what `temporal workflow show` prints for a clear JSON payload). */
function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(textOf).join('\n');
  return typeof value === 'string' ? value : '';
}

function escape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
