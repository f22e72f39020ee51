import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { createParkflowClient } from '../clients/typescript/src';
import { API_KEY, startStack, type Stack } from './support/stack';

// The typed client (clients/typescript): generated from /openapi.json with no diff, its README example
// runs as written, and its requests reach the API with the key and the types the spec gives.

const CLIENT = path.resolve(__dirname, '../clients/typescript');

/** Runs a TypeScript file with tsx: its exit code and everything it printed. */
function runTs(file: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  const run = spawn(process.execPath, ['--import', 'tsx', file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  run.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  run.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => run.on('close', (code) => resolve({ code, out })));
}

/** `npm run generate:client -- --check`, against the committed client or another copy. */
const checkGenerated = (dir = CLIENT) => runTs(path.resolve(__dirname, '../scripts/generate-client.ts'), ['--check', '--dir', dir]);

test('regenerating the client from the API document gives exactly what is committed', async () => {
  expect(await checkGenerated()).toEqual({ code: 0, out: '' });
}, 60_000);

test('a client generated from an older document is found stale', async () => {
  const copy = mkdtempSync(path.join(tmpdir(), 'parkflow-client-'));
  try {
    cpSync(CLIENT, copy, { recursive: true });
    const schema = path.join(copy, 'src/schema.d.ts');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('"/v1/accounts/{id}"', '"/v1/account/{id}"'));
    expect(await checkGenerated(copy)).toEqual({ code: 1, out: expect.stringContaining('stale (src/schema.d.ts)') });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 60_000);

/** TypeScript's diagnostics for `files`, with the repository's compiler options. */
function typeErrors(files: string[]): string[] {
  const configFile = ts.readConfigFile(path.resolve(__dirname, '../tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, path.resolve(__dirname, '..'));
  const program = ts.createProgram(files, { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('the generated client typechecks against the spec, and a request off the spec does not compile', () => {
  expect(typeErrors([path.join(CLIENT, 'src/index.ts'), path.join(CLIENT, 'example.ts')])).toEqual([]);
  const probe = path.join(CLIENT, `probe-${process.pid}.ts`);
  try {
    writeFileSync(
      probe,
      [
        "import { createParkflowClient } from './src';",
        "const parkflow = createParkflowClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'k' });",
        "void parkflow.GET('/v1/journeys/{id}', { params: { path: { id: 'j' }, query: { waitFor: 'teleported' } } });",
        "void parkflow.POST('/v1/subscriptions', { body: { url: 'https://backend.example/events', events: ['journey.paid'], secret: 'mine' } });",
      ].join('\n'),
    );
    const errors = typeErrors([probe]);
    expect(errors).toEqual([expect.stringContaining('"teleported"'), expect.stringContaining("'secret'")]);
  } finally {
    rmSync(probe, { force: true });
  }
}, 60_000);

test('the README example is example.ts, word for word', () => {
  const readme = readFileSync(path.join(CLIENT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBe(readFileSync(path.join(CLIENT, 'example.ts'), 'utf8'));
});

describe('against a running service', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ SUBSCRIBER_PRIVATE_TARGETS: 'true' }); // the example's event endpoint is on loopback
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('example.ts drives a journey to paid, waits for it, and verifies the signed journey.paid event', async () => {
    const env = {
      ...process.env,
      API: stack.service.apiUrl!.replace(/\/$/, ''),
      API_KEY,
      PARKINGPLUS_URL: stack.parkingPlusServer.url.replace(/\/$/, ''),
    };
    expect(await runTs(path.join(CLIENT, 'example.ts'), [], env)).toEqual({
      code: 0,
      out: expect.stringMatching(/^active\n\{[\s\S]*currency[\s\S]*\}\npending http:\/\/\S+\npaid\njourney\.paid true\n$/),
    });
  }, 60_000);

  test('a wrong key is the typed 401 problem', async () => {
    const client = createParkflowClient({ baseUrl: stack.service.apiUrl!.replace(/\/$/, ''), apiKey: 'not-a-key' });
    const answer = await client.GET('/v1/journeys/{id}', { params: { path: { id: 'journey-test-0123456789abcdef0123' } } });
    expect({ status: answer.response.status, data: answer.data, type: answer.response.headers.get('content-type') }).toEqual({
      status: 401,
      data: undefined,
      type: expect.stringContaining('application/problem+json'),
    });
  });
});
