import { Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { SecretBox } from '../src/domain/sealed';
import { createLogger } from '../src/logger';
import { parkingPlusClient } from '../src/activities';
import { KEY_ID_METADATA } from '../src/temporal/codec';
import { parkingPlusAccount } from '../src/workflows';
import { getAccessToken, getAccount, linkAccount } from '../src/workflows/account-messages';
import { testDataConverter, timeSkippingEnv, workflowBundle } from './support/temporal';

// A real workflow with the service's data converter: its history on the server holds only
// ciphertext (a client without the codec sees binary/encrypted and no failure message), the codec
// client reads everything, and the codec endpoint decodes the very payloads the server stored.

const MARK = `token-${randomUUID()}`;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
}, 60_000);
afterAll(async () => {
  await env?.teardown();
});

/** Every payload of a history, except search attributes and headers (never encoded, by design). */
function payloadsOf(node: unknown, found: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if ('metadata' in node && 'data' in node) {
    found.push(node as Payload);
    return found;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'searchAttributes' || key === 'header') continue;
    payloadsOf(value, found);
  }
  return found;
}

test('the history holds ciphertext only; the codec client and the codec endpoint read it', async () => {
  const taskQueue = `codec-${randomUUID()}`;
  const accountId = `account-parkingplus-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: testDataConverter(),
    activities: {},
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(parkingPlusAccount, { workflowId: accountId, taskQueue, args: [{ accountId }] });
    // Not linked yet: the update fails, and its failure message is part of the history.
    const refused = await handle.executeUpdate(getAccessToken, { args: [{}] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(`account ${accountId} must be linked again`); // decoded by the codec client

    await env.client.workflow.executeUpdateWithStart(linkAccount, {
      args: [{ accessToken: `${MARK}-access`, refreshToken: `${MARK}-refresh`, expiresAtMs: Date.now() + 7_200_000 }],
      startWorkflowOperation: new WithStartWorkflowOperation(parkingPlusAccount, {
        workflowId: accountId,
        taskQueue,
        args: [{ accountId }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      }),
    });
    expect(await handle.query(getAccount)).toMatchObject({ accountId, status: 'linked' });
    expect(await handle.executeUpdate(getAccessToken, { args: [{}] })).toMatchObject({ accessToken: `${MARK}-access` });
  });

  // A client without the codec: what the server, `temporal workflow show` and a UI without the endpoint see.
  const raw = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  const history = await raw.workflow.getHandle(accountId).fetchHistory();
  const payloads = payloadsOf(history.events);
  expect(payloads.length).toBeGreaterThanOrEqual(5); // start input, update args and results, the failure's encoded attributes
  for (const payload of payloads) {
    expect(Buffer.from(payload.metadata![METADATA_ENCODING_KEY]!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.metadata![KEY_ID_METADATA]!).toString()).toBe('dev-1');
  }
  const dump = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
  expect(dump).not.toContain(MARK);
  expect(dump).not.toContain('must be linked again');
  expect(dump).toContain('Encoded failure');

  // The codec endpoint, as the Temporal UI calls it, turns the stored payloads back into clear ones.
  const config = loadConfig({ NODE_ENV: 'test' });
  const app = createApp({
    config,
    temporal: raw,
    logger: createLogger('silent'),
    box: new SecretBox(config.PARKFLOW_SECRET_KEY),
    parkingPlus: parkingPlusClient(config),
  }) as unknown as Server;
  const b64 = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('base64');
  const res = await request(app)
    .post('/codec/decode')
    .set('Authorization', `Bearer ${config.PARKFLOW_OPERATOR_KEYS[0]}`)
    .set('X-Namespace', 'default')
    .send({
      payloads: payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, b64(v)])),
        data: b64(p.data),
      })),
    });
  expect(res.status).toBe(200);
  const clear = (res.body.payloads as Array<{ metadata: Record<string, string>; data: string }>).map((p) =>
    defaultPayloadConverter.fromPayload({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    }),
  );
  expect(JSON.stringify(clear)).toContain(`${MARK}-refresh`);
  expect(clear).toContainEqual(expect.objectContaining({ message: `account ${accountId} must be linked again` }));

  await env.client.workflow.getHandle(accountId).terminate('test over');
}, 60_000);
