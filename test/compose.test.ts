import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';
import { PRODUCTION_NODE_FLAGS } from '../scripts/chaos/processes';

// No Docker engine runs here: temporal-compose.yml is validated as `docker compose` would load it,
// interpolated with an operator's environment, against the Compose Specification's own JSON schema
// (vendored in test/fixtures/compose-spec/, see its README). Parkflow's part is its own contract:
// the environment each parkflow service gets must be a valid configuration for its role.

const file = readFileSync(path.join(__dirname, '../temporal-compose.yml'), 'utf8');
const schema = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/compose-spec/compose-spec.json'), 'utf8')) as object;

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// As compose-go registers it: a Go duration (1h30m, 10s, 500ms).
ajv.addFormat('duration', /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^0$/);
const validateCompose = ajv.compile(schema);

/** Compose's interpolation of a string: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, ${VAR+alt}. */
function interpolateString(text: string, env: Record<string, string>): string {
  return text.replace(/\$(?:\$|([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?:(:?)([-?+])([^}]*))?\})/g, (match, bare, name, colon, op, arg) => {
    if (match === '$$') return '$';
    const variable = (bare ?? name) as string;
    const set = variable in env && (colon !== ':' || env[variable] !== '');
    if (op === '-') return set ? env[variable]! : (arg as string);
    if (op === '+') return set ? (arg as string) : '';
    if (op === '?' && !set) throw new Error(`required variable ${variable} is missing a value: ${arg as string}`);
    return env[variable] ?? '';
  });
}

/** Compose interpolates values, not keys. */
function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolateString(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

/** What an operator provides (every required variable, nothing optional). */
const operatorEnv: Record<string, string> = {
  PARKFLOW_BUILD_ID: '3f2a1c9',
  PARKFLOW_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  PARKFLOW_PAYLOAD_KEYS: `2026-06:${Buffer.alloc(32, 9).toString('base64')}`,
  PARKFLOW_OPERATOR_KEYS: 'operator-key-0123456789abcdef',
  PARKFLOW_API_KEYS: 'one:backend-one-key,two:backend-two-key',
  POSTGRES_PASSWORD: 'a-strong-password',
  PARKINGPLUS_BASE_URL: 'https://parkingplus.example',
  PARKINGPLUS_CLIENT_APP_ID: 'app',
  PARKINGPLUS_CLIENT_SECRET: 'secret',
  PARKFLOW_PUBLIC_BASE_URL: 'https://parkflow.example',
  LINKC_BASE_URL: 'https://linkc.example',
  LINKC_USUARIO: 'integrator',
  LINKC_SENHA: 'password',
  ECTOR_BASE_URL: 'https://api.ectorparking.example',
  ECTOR_API_KEY: 'ector-key',
  MOBILPAY_BASE_URL: 'https://secure.sandbox.netopia-payments.example',
  MOBILPAY_API_KEY: 'api-key',
  MOBILPAY_POS_SIGNATURE: 'AAAA-BBBB-CCCC-DDDD-EEEE',
  MOBILPAY_PUBLIC_KEY_PEM: '-----BEGIN PUBLIC KEY-----\nnetopia\n-----END PUBLIC KEY-----',
  MOBILPAY_BILLING_EMAIL: 'billing@merchant.example',
  MOBILPAY_BILLING_FIRST_NAME: 'Merchant',
  MOBILPAY_BILLING_LAST_NAME: 'Billing',
  MOBILPAY_BILLING_CITY: 'Bucharest',
  MOBILPAY_BILLING_COUNTRY: '642',
  EPX_KEY_EXCHANGE_URL: 'https://keyexch.epx.example',
  EPX_BROWSER_POST_URL: 'https://services.epx.example/browserpost/',
  EPX_SERVER_POST_URL: 'https://secure.epx.example',
  EPX_MAC: 'mac',
  EPX_CUST_NBR: '1',
  EPX_MERCH_NBR: '2',
  EPX_DBA_NBR: '3',
  EPX_TERMINAL_NBR: '4',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a Compose document, checked by the schema
const load = (env: Record<string, string>): any => interpolate(parse(file, { merge: true }), env);
const errorsOf = (document: unknown) =>
  validateCompose(document) ? [] : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

test("the image runs Node with the flags the chaos run and the benchmark measured (scripts/chaos/processes.ts)", () => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.resolve(__dirname, '../Dockerfile'), 'utf8'))?.[1];
  expect(JSON.parse(cmd!)).toEqual(['node', ...PRODUCTION_NODE_FLAGS, 'dist/main.js']);
});

describe('temporal-compose.yml', () => {
  test('is a valid Compose file under the Compose Specification schema, once interpolated', () => {
    expect(errorsOf(load(operatorEnv))).toEqual([]);
  });

  test('the same validator rejects a broken Compose file', () => {
    const broken = (mutate: (doc: { services: Record<string, Record<string, unknown>> }) => void) => {
      const doc = load(operatorEnv);
      mutate(doc);
      return errorsOf(doc);
    };
    const rejected = (mutate: Parameters<typeof broken>[0], where: RegExp) =>
      expect(broken(mutate)).toContainEqual(expect.stringMatching(where));
    rejected((d) => void (d.services.worker!.deploy = { replicas: 2.5 }), /^\/services\/worker\/deploy\/replicas /);
    rejected(
      (d) => void (d.services.api!.healthcheck = { test: ['CMD', 'true'], intervall: '10s' }),
      /^\/services\/api\/healthcheck must NOT have (additional|unevaluated) properties/,
    );
    rejected(
      (d) => void (d.services.worker!.depends_on = { 'parkflow-setup': { condition: 'service_ready' } }),
      /condition must be equal to one of/,
    );
    rejected((d) => void (d.services.api!.ports = 3000), /^\/services\/api\/ports must be array/);
    rejected(
      (d) => void (d.services.temporal!.imag = 'temporalio/server:1.32.0'),
      /^\/services\/temporal must NOT have (additional|unevaluated) properties/,
    );
  });

  test('a missing secret stops compose with its message', () => {
    const withoutSecret = { ...operatorEnv };
    delete withoutSecret.PARKFLOW_SECRET_KEY;
    expect(() => load(withoutSecret)).toThrow(
      /PARKFLOW_SECRET_KEY is missing a value: set PARKFLOW_SECRET_KEY \(openssl rand -base64 32\)/,
    );
    expect(() => load({ ...operatorEnv, PARKFLOW_PAYLOAD_KEYS: '' })).toThrow(/PARKFLOW_PAYLOAD_KEYS/);
  });

  test("each parkflow service's environment is a valid parkflow configuration for its role", () => {
    const { services } = load(operatorEnv);
    const config = (service: string) => loadConfig(services[service].environment);
    const production = { NODE_ENV: 'production', TEMPORAL_EMBEDDED: false, SANDBOX_ENABLED: false, TEMPORAL_ADDRESS: 'temporal:7233' };
    expect(config('worker')).toMatchObject({ ...production, PARKFLOW_ROLE: 'worker', TEMPORAL_METRICS_BIND: '0.0.0.0:9464' });
    expect(config('worker-draining')).toMatchObject({ ...production, PARKFLOW_ROLE: 'worker' });
    expect(config('parkflow-setup')).toMatchObject({ ...production, TEMPORAL_METRICS_BIND: '' });
    expect(config('api')).toMatchObject({
      ...production,
      PARKFLOW_ROLE: 'api',
      API_HOST: '0.0.0.0',
      API_KEYS: [
        { tenant: 'one', key: 'backend-one-key' },
        { tenant: 'two', key: 'backend-two-key' },
      ],
      PARKFLOW_UI_ORIGINS: ['http://localhost:8080'],
    });
  });
});
