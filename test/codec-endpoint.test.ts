import { type Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { type Server } from 'node:http';
import request from 'supertest';
import { ParkingPlusClient } from '../src/activities/parkingplus/client';
import { createApp } from '../src/api/app';
import { OperatorKeys, SESSION_COOKIE } from '../src/api/operator-session';
import { loadConfig } from '../src/config';
import { SecretBox } from '../src/domain/sealed';
import { createLogger } from '../src/logger';
import { EncryptionCodec } from '../src/temporal/codec';

// The remote codec the Temporal UI calls: an operator (bearer key or signed-in session) reads
// clear payloads; anyone else gets 401 and not one decoded byte.

const OPERATOR_KEY = 'operator-key-for-tests-0001';
const UI = 'https://temporal-ui.example';
const config = loadConfig({
  NODE_ENV: 'test',
  API_KEYS: 'test:codec-test-api-key',
  PARKFLOW_OPERATOR_KEYS: `${OPERATOR_KEY},second-operator-key-0002`,
  PARKFLOW_UI_ORIGINS: UI,
});
const makeApp = (c = config) =>
  createApp({
    config: c,
    temporal: {} as Client, // the codec never calls Temporal
    logger: createLogger('silent'),
    box: new SecretBox(c.PARKFLOW_SECRET_KEY),
    parkingPlus: new ParkingPlusClient({ baseUrl: 'http://127.0.0.1:9', clientAppId: 'x', clientSecret: 'y', timeoutMs: 100 }),
  }) as unknown as Server;
const app = makeApp();

const SECRET = 'plate B123XYZ, phone +40722000111';
const codec = new EncryptionCodec(config.PARKFLOW_PAYLOAD_KEYS);
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const encryptedBody = async () => ({ payloads: (await codec.encode([defaultPayloadConverter.toPayload({ secret: SECRET })])).map(toJson) });
const decode = (body: object) => request(app).post('/codec/decode').set('X-Namespace', 'default').send(body);
const signInCookie = async (key = OPERATOR_KEY) => {
  const res = await request(app).post('/codec/sign-in').type('form').send({ operatorKey: key });
  return { res, cookie: (res.get('Set-Cookie') ?? [])[0] };
};
const expectRefused = (res: request.Response) => {
  expect(res.status).toBe(401);
  expect(res.type).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status: 401, title: 'Operator sign-in required' });
  expect(res.text).not.toContain('B123XYZ');
  expect(res.text).not.toContain(Buffer.from('B123XYZ').toString('base64').slice(0, 8));
};

describe('codec endpoint: authorisation', () => {
  test('an operator bearer key decodes: the clear payload comes back', async () => {
    const res = await decode(await encryptedBody()).set('Authorization', `Bearer ${OPERATOR_KEY}`);
    expect(res.status).toBe(200);
    expect(res.get('Cache-Control')).toBe('no-store');
    expect(defaultPayloadConverter.fromPayload(fromJson(res.body.payloads[0]))).toEqual({ secret: SECRET });
  });

  test('no credentials, a wrong key, a tenant API key: 401 and nothing decoded', async () => {
    const body = await encryptedBody();
    const none = await decode(body);
    expectRefused(none);
    expect(none.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expectRefused(await decode(body).set('Authorization', 'Bearer not-an-operator-key-000'));
    expectRefused(await decode(body).set('Authorization', `Bearer ${OPERATOR_KEY}x`));
    expectRefused(await decode(body).set('Authorization', `Basic ${Buffer.from(`op:${OPERATOR_KEY}`).toString('base64')}`));
    expectRefused(await decode(body).set('X-API-Key', 'codec-test-api-key'));
    expectRefused(await request(app).post('/codec/encode').send(body));
  });

  test('sign-in: the form, then an HttpOnly, SameSite=Strict session cookie for /codec that decodes', async () => {
    const form = await request(app).get('/codec/sign-in');
    expect(form.status).toBe(200);
    expect(form.type).toBe('text/html');
    expect(form.text).toContain('name="operatorKey"');

    const { res, cookie } = await signInCookie();
    expect(res.status).toBe(200);
    expect(res.text).toContain('Signed in until');
    expect(res.text).toContain(`href="${UI}"`);
    expect(res.text).not.toContain(OPERATOR_KEY);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=28800; Path=/codec; Expires=[^;]+; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(OPERATOR_KEY);

    const decoded = await decode(await encryptedBody()).set('Cookie', cookie!.split(';')[0]!);
    expect(decoded.status).toBe(200);
    expect(defaultPayloadConverter.fromPayload(fromJson(decoded.body.payloads[0]))).toEqual({ secret: SECRET });
  });

  test('a wrong key at sign-in: 401, the form again, no cookie', async () => {
    const { res, cookie } = await signInCookie('definitely-not-the-key');
    expect(res.status).toBe(401);
    expect(res.text).toContain('That is not an operator key.');
    expect(cookie).toBeUndefined();
  });

  test('a forged, altered, expired or revoked session cookie: 401', async () => {
    const body = await encryptedBody();
    const { cookie } = await signInCookie();
    const value = cookie!.split(';')[0]!.slice(SESSION_COOKIE.length + 1);
    const [expires, operator, signature] = value.split('.');
    const withCookie = (v: string) => decode(body).set('Cookie', `${SESSION_COOKIE}=${v}`);

    expectRefused(await withCookie(`${Number(expires) + 3_600_000}.${operator}.${signature}`)); // extended by hand
    const flipped = Buffer.from(signature!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expectRefused(await withCookie(`${expires}.${operator}.${flipped.toString('base64url')}`));
    expectRefused(await withCookie('garbage'));

    // Genuine but expired: signed 9 hours ago with the service's own key.
    const keys = new OperatorKeys(config.PARKFLOW_OPERATOR_KEYS, config.PARKFLOW_SECRET_KEY);
    expectRefused(await withCookie(keys.issue(OPERATOR_KEY, Date.now() - 9 * 3_600_000).value));
    // Signed by a service with another secret key.
    const other = new OperatorKeys(config.PARKFLOW_OPERATOR_KEYS, Buffer.alloc(32, 7).toString('base64'));
    expectRefused(await withCookie(other.issue(OPERATOR_KEY).value));
    // Its operator key since removed from PARKFLOW_OPERATOR_KEYS.
    const revoked = makeApp(loadConfig({ NODE_ENV: 'test', PARKFLOW_OPERATOR_KEYS: 'second-operator-key-0002', PARKFLOW_UI_ORIGINS: UI }));
    const after = await request(revoked).post('/codec/decode').set('Cookie', `${SESSION_COOKIE}=${value}`).send(body);
    expectRefused(after);
    expect((await withCookie(value)).status).toBe(200); // the same cookie, still valid where its key is configured
  });

  test('sign-out clears the cookie', async () => {
    const res = await request(app).post('/codec/sign-out');
    expect(res.status).toBe(200);
    expect(res.get('Set-Cookie')?.[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=; Path=/codec; Expires=Thu, 01 Jan 1970`));
  });
});

describe('codec endpoint: the remote codec protocol', () => {
  const asOperator = (path: string) => request(app).post(path).set('Authorization', `Bearer ${OPERATOR_KEY}`).set('X-Namespace', 'default');

  test('encode then decode round trip; encode hides the data', async () => {
    const clear = { payloads: [toJson(defaultPayloadConverter.toPayload({ secret: SECRET }))] };
    const encoded = await asOperator('/codec/encode').send(clear);
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('B123XYZ');
    const decoded = await asOperator('/codec/decode').send(encoded.body);
    expect(decoded.body).toEqual(clear);
  });

  test('a payload that was never encrypted comes back as it is', async () => {
    const clear = { payloads: [toJson(defaultPayloadConverter.toPayload('hello')), { metadata: {}, data: '' }] };
    expect((await asOperator('/codec/decode').send(clear)).body).toEqual(clear);
  });

  test('a tampered payload: 422 problem, no plaintext', async () => {
    const body = await encryptedBody();
    const data = Buffer.from(body.payloads[0]!.data, 'base64');
    data[20] = data[20]! ^ 1;
    const res = await asOperator('/codec/decode').send({ payloads: [{ ...body.payloads[0], data: data.toString('base64') }] });
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/failed authentication/);
    expect(res.text).not.toContain('B123XYZ');
  });

  test('a malformed body: 400 naming the field; not JSON: 415; GET: 405', async () => {
    const bad = await asOperator('/codec/decode').send({ payloads: [{ data: 'not base64!' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'payloads.0.data', message: 'must be base64' }]);
    expect((await asOperator('/codec/decode').send({})).status).toBe(400);
    const form = await asOperator('/codec/decode').type('form').send({ payloads: 'x' });
    expect(form.status).toBe(415);
    const get = await request(app).get('/codec/decode');
    expect(get.status).toBe(405);
    expect(get.get('Allow')).toBe('POST, OPTIONS');
  });
});

describe('codec endpoint: CORS for the Temporal UI', () => {
  test('an allowed origin gets its own origin back, with credentials', async () => {
    const res = await decode(await encryptedBody())
      .set('Origin', UI)
      .set('Authorization', `Bearer ${OPERATOR_KEY}`);
    expect(res.status).toBe(200);
    expect(res.get('Access-Control-Allow-Origin')).toBe(UI);
    expect(res.get('Access-Control-Allow-Credentials')).toBe('true');
    expect(res.get('Vary')).toMatch(/Origin/);
  });

  test('another origin gets no CORS headers (the browser will not hand it the answer)', async () => {
    const res = await decode(await encryptedBody())
      .set('Origin', 'https://evil.example')
      .set('Authorization', `Bearer ${OPERATOR_KEY}`);
    expect(res.get('Access-Control-Allow-Origin')).toBeUndefined();
    expect(res.get('Access-Control-Allow-Credentials')).toBeUndefined();
  });

  test('preflight: 204; methods and headers only for an allowed origin', async () => {
    const preflight = (origin: string) =>
      request(app)
        .options('/codec/decode')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-namespace');
    const allowed = await preflight(UI);
    expect(allowed.status).toBe(204);
    expect(allowed.get('Access-Control-Allow-Origin')).toBe(UI);
    expect(allowed.get('Access-Control-Allow-Credentials')).toBe('true');
    expect(allowed.get('Access-Control-Allow-Methods')).toBe('POST, OPTIONS');
    expect(allowed.get('Access-Control-Allow-Headers')).toBe('content-type, x-namespace, authorization');
    const refused = await preflight('http://localhost:9999');
    expect(refused.status).toBe(204);
    expect(refused.get('Access-Control-Allow-Origin')).toBeUndefined();
    expect(refused.get('Access-Control-Allow-Headers')).toBeUndefined();
  });

  test('by default the embedded UI is the allowed origin', async () => {
    const embedded = makeApp(loadConfig({ NODE_ENV: 'test', TEMPORAL_UI_PORT: '8999' }));
    for (const origin of ['http://127.0.0.1:8999', 'http://localhost:8999']) {
      expect((await request(embedded).options('/codec/decode').set('Origin', origin)).get('Access-Control-Allow-Origin')).toBe(origin);
    }
    expect(
      (await request(embedded).options('/codec/decode').set('Origin', 'http://127.0.0.1:8233')).get('Access-Control-Allow-Origin'),
    ).toBeUndefined();
  });
});
