import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';

// No Docker engine runs here: the production topology is validated, not started.
const file = readFileSync(path.join(__dirname, '../temporal-compose.yml'), 'utf8');

/** Compose's ${VAR:?message} interpolation of every string value, with what an operator provides. */
function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::\?[^}]*)?\}/g, (_, name: string) => {
      if (!(name in env)) throw new Error(`compose needs ${name}`);
      return env[name]!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

const operatorEnv = {
  PARKFLOW_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed compose file
const compose: any = interpolate(parse(file, { merge: true }), operatorEnv);

describe('temporal-compose.yml', () => {
  test('describes Temporal on PostgreSQL, its UI, workers and API replicas', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
    expect(compose.services.temporal.environment.DB).toBe('postgres12');
    expect(compose.services.worker.deploy.replicas).toBeGreaterThan(1);
    expect(compose.services.api.deploy.replicas).toBeGreaterThan(1);
  });

  test('every dependency names a service of the file', () => {
    for (const [name, service] of Object.entries<{ depends_on?: Record<string, unknown> }>(compose.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect({ service: name, dependency, known: dependency in compose.services }).toEqual({ service: name, dependency, known: true });
      }
    }
  });

  test("the worker and API environments are valid parkflow configurations for their roles", () => {
    const worker = loadConfig(compose.services.worker.environment);
    const api = loadConfig(compose.services.api.environment);
    expect(worker).toMatchObject({ PARKFLOW_ROLE: 'worker', TEMPORAL_EMBEDDED: false, SANDBOX_ENABLED: false, NODE_ENV: 'production' });
    expect(api).toMatchObject({ PARKFLOW_ROLE: 'api', API_HOST: '0.0.0.0', API_KEYS: [
      { tenant: 'one', key: 'backend-one-key' },
      { tenant: 'two', key: 'backend-two-key' },
    ] });
  });

  test('a missing secret stops compose with a message', () => {
    const withoutSecret: Record<string, string> = { ...operatorEnv };
    delete withoutSecret.PARKFLOW_SECRET_KEY;
    expect(() => interpolate(parse(file, { merge: true }), withoutSecret)).toThrow('PARKFLOW_SECRET_KEY');
  });

  test('the search attributes the code uses are the ones set up', () => {
    const script = compose.services['temporal-setup'].command.join(' ');
    for (const key of JOURNEY_SEARCH_ATTRIBUTES) expect(script).toContain(`${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`);
  });
});
