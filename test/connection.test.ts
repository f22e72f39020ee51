import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { EncryptionCodec } from '../src/temporal/codec';
import { connectClient, connectWorker, temporalTarget } from '../src/temporal/connection';

// The one Temporal client factory: the variables of @temporalio/envconfig (those the `temporal` CLI
// reads) become the connection's address, namespace, TLS and API key. No server needed, except a
// fake one that echoes the credentials it was sent.

const API_KEY = 'tcld-api-key-7f3a9c0e55d1';
const cluster = (env: Record<string, string>) => loadConfig({ TEMPORAL_EMBEDDED: 'false', ...env });
const pems = mkdtempSync(path.join(tmpdir(), 'parkflow-tls-'));
const pem = (name: string, text: string) => {
  const file = path.join(pems, name);
  writeFileSync(file, text);
  return file;
};

describe('temporalTarget', () => {
  test('Temporal Cloud with an API key: its address and namespace, TLS on', () => {
    const config = cluster({
      TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'parkflow.a1b2c',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(temporalTarget(config)).toEqual({
      namespace: 'parkflow.a1b2c',
      connection: { address: 'eu-west-1.aws.api.temporal.io:7233', apiKey: API_KEY, tls: true },
    });
  });

  test('mTLS from files: the client certificate and key, the server CA and name', () => {
    const config = cluster({
      TEMPORAL_ADDRESS: 'parkflow.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'parkflow.a1b2c',
      TEMPORAL_TLS_CLIENT_CERT_PATH: pem('client.pem', 'CLIENT CERT'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: pem('client.key', 'CLIENT KEY'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pem('ca.pem', 'CA CERT'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const { connection } = temporalTarget(config);
    expect(connection.apiKey).toBeUndefined();
    expect(connection.tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA CERT'),
      clientCertPair: { crt: Buffer.from('CLIENT CERT'), key: Buffer.from('CLIENT KEY') },
    });
  });

  test('mTLS from the PEM text itself (a secret passed as a variable)', () => {
    const config = cluster({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT TEXT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY TEXT' });
    expect(temporalTarget(config).connection.tls).toMatchObject({
      clientCertPair: { crt: Buffer.from('CERT TEXT'), key: Buffer.from('KEY TEXT') },
    });
  });

  test('plain gRPC unless asked: no TLS variable, or TEMPORAL_TLS=false even with an API key; empty means unset', () => {
    expect(temporalTarget(cluster({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({
      namespace: 'default',
      connection: { address: 'temporal:7233', apiKey: undefined },
    });
    expect(temporalTarget(cluster({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' })).connection.tls).toBe(false);
    expect(temporalTarget(cluster({ TEMPORAL_TLS: 'true' })).connection.tls).toBeTruthy();
    // Compose passes `${TEMPORAL_API_KEY:-}` as an empty string.
    expect(temporalTarget(cluster({ TEMPORAL_API_KEY: '', TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS: '' })).connection).toEqual({
      address: '127.0.0.1:7233',
      apiKey: undefined,
    });
  });

  test('a contradictory setting is a configuration error that names the variables', () => {
    const fails = (env: Record<string, string>, message: RegExp) => {
      expect(() => temporalTarget(cluster(env))).toThrow(ConfigError);
      expect(() => temporalTarget(cluster(env))).toThrow(message);
    };
    fails({ TEMPORAL_TLS_CLIENT_CERT_PATH: pem('only.pem', 'CERT') }, /TEMPORAL_TLS_CLIENT_KEY_\* go together/);
    fails({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY' }, /TEMPORAL_TLS_CLIENT_CERT_\* and TEMPORAL_TLS_CLIENT_KEY_\*/);
    fails({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA' }, /TEMPORAL_TLS_SERVER_CA_CERT_PATH or/);
    fails({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }, /TEMPORAL_TLS=false contradicts/);
    fails({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(pems, 'missing.pem') }, /TEMPORAL_TLS_\*: .*missing\.pem/);
    expect(() => temporalTarget(loadConfig({ TEMPORAL_API_KEY: API_KEY }))).toThrow(/embedded dev server takes neither TLS nor an API key/);
    expect(() => loadConfig({ TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
  });
});

describe('the API key never appears in an error message', () => {
  let echo: Http2Server;
  let address: string;
  const sessions = new Set<ServerHttp2Session>();

  // A gRPC endpoint that refuses every call and quotes the credentials it received, as a careless proxy might.
  beforeAll(async () => {
    echo = createServer();
    echo.on('session', (session) => sessions.add(session.once('close', () => sessions.delete(session))));
    echo.on('stream', (stream, headers) => {
      const quoted = `refused authorization=${String(headers.authorization)}`; // printable ASCII: no percent-encoding needed
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': quoted },
        { endStream: true },
      );
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => echo.close(resolve));
  });

  const config = () => cluster({ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });

  test('the client: the server quoted the key, the message does not', async () => {
    const error = await connectClient(config(), { connectTimeout: 5_000 }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(
      new RegExp(`cannot reach Temporal at ${address} \\(namespace default\\): .*refused authorization=Bearer \\[redacted\\]`),
    );
    expect(JSON.stringify({ message: error?.message, stack: error?.stack, cause: String(error?.cause) })).not.toContain(API_KEY);
  });

  test('the worker connection', async () => {
    const error = await connectWorker(config()).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/cannot reach Temporal at .*refused authorization=Bearer \[redacted\]/);
    expect(JSON.stringify({ message: error?.message, stack: error?.stack, cause: String(error?.cause) })).not.toContain(API_KEY);
  });

  test('a closed port', async () => {
    const closed = cluster({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: API_KEY });
    const errors = await Promise.all(
      [connectClient(closed, { connectTimeout: 500 }), connectWorker(closed)].map((p) =>
        p.then(
          () => undefined,
          (err: Error) => err,
        ),
      ),
    );
    for (const error of errors) {
      expect(error?.message).toMatch(/^cannot reach Temporal at 127\.0\.0\.1:1 /);
      expect(error?.message).not.toContain(API_KEY);
    }
  });

  test('a configuration error', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'maybe', TEMPORAL_EMBEDDED: 'false' })).toThrow(
      /^(?![\s\S]*tcld-api-key)/,
    );
    expect(() => temporalTarget(loadConfig({ TEMPORAL_API_KEY: API_KEY }))).toThrow(/^(?![\s\S]*tcld-api-key)/);
  });
});

describe('connectClient', () => {
  let server: Http2Server;
  let address: string;
  const sessions = new Set<ServerHttp2Session>();

  // A server too old to answer GetSystemInfo (UNIMPLEMENTED), which the SDK accepts: the client connects.
  beforeAll(async () => {
    server = createServer();
    server.on('session', (session) => sessions.add(session.once('close', () => sessions.delete(session))));
    server.on('stream', (stream) =>
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test("carries parkflow's data converter (encrypted payloads) unless the caller gives one", async () => {
    const config = cluster({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'parkflow' });
    const client = await connectClient(config);
    const given = await connectClient(config, { dataConverter: {} });
    try {
      expect(client.options.namespace).toBe('parkflow');
      expect(client.options.loadedDataConverter.payloadCodecs.map((codec) => codec.constructor)).toEqual([EncryptionCodec]);
      expect(given.options.loadedDataConverter.payloadCodecs).toEqual([]);
    } finally {
      await Promise.all([client.connection.close(), given.connection.close()]);
    }
  });
});
