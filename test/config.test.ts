import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  test('the defaults are the embedded development setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ TEMPORAL_EMBEDDED: true, TEMPORAL_ADDRESS: '127.0.0.1:7233', API_PORT: 3000, TEMPORAL_UI_PORT: 8233, SANDBOX_ENABLED: true, PARKFLOW_ROLE: 'all' });
  });

  test("the processors take the journeys' currencies by default; EPX its merchant account's", () => {
    expect(loadConfig({})).toMatchObject({ MOBILPAY_CURRENCIES: ['RON', 'EUR', 'BRL'], EPX_CURRENCY: 'USD' });
    const config = loadConfig({ MOBILPAY_CURRENCIES: 'ron , eur', EPX_CURRENCY: 'brl' });
    expect(config).toMatchObject({ MOBILPAY_CURRENCIES: ['RON', 'EUR'], EPX_CURRENCY: 'BRL' });
  });

  test('a bad variable is named in the error', () => {
    expect(() => loadConfig({ API_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ API_PORT: 'eighty' })).toThrow(/API_PORT/);
    expect(() => loadConfig({ PARKINGPLUS_BASE_URL: 'not a url' })).toThrow(/PARKINGPLUS_BASE_URL/);
    expect(() => loadConfig({ PARKFLOW_SECRET_KEY: 'c2hvcnQ=' })).toThrow(/PARKFLOW_SECRET_KEY: must be 32 bytes/);
    expect(() => loadConfig({ TEMPORAL_EMBEDDED: 'maybe' })).toThrow(/TEMPORAL_EMBEDDED/);
    expect(() => loadConfig({ MOBILPAY_CURRENCIES: 'RON,EURO' })).toThrow(/MOBILPAY_CURRENCIES\.1: an ISO 4217 code/);
    expect(() => loadConfig({ MOBILPAY_CURRENCIES: ' , ' })).toThrow(/MOBILPAY_CURRENCIES: needs at least one currency/);
    expect(() => loadConfig({ EPX_CURRENCY: 'dollars' })).toThrow(/EPX_CURRENCY/);
  });

  test('production refuses the development secret and API key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PARKFLOW_SECRET_KEY: must be set in production/);
    const key = Buffer.alloc(32, 1).toString('base64');
    const netopia = '-----BEGIN PUBLIC KEY-----\nnetopia\n-----END PUBLIC KEY-----';
    expect(() => loadConfig({ NODE_ENV: 'production', PARKFLOW_SECRET_KEY: key, MOBILPAY_PUBLIC_KEY_PEM: netopia })).toThrow(/API_KEYS/);
    expect(() => loadConfig({ NODE_ENV: 'production', PARKFLOW_SECRET_KEY: key, API_KEYS: 'shop:a-real-key-123' })).toThrow(/MOBILPAY_PUBLIC_KEY_PEM: must be NETOPIA's key/);
    const codecKeys = { PARKFLOW_PAYLOAD_KEYS: `prod-1:${key}`, PARKFLOW_OPERATOR_KEYS: 'a-real-operator-key-123' };
    const withNetopia = { NODE_ENV: 'production', PARKFLOW_SECRET_KEY: key, API_KEYS: 'shop:a-real-key-123', MOBILPAY_PUBLIC_KEY_PEM: netopia, ...codecKeys };
    expect(() => loadConfig(withNetopia)).toThrow(/MOBILPAY_BILLING_EMAIL: must be the merchant's own billing/);
    const production = { ...withNetopia, MOBILPAY_BILLING_EMAIL: 'billing@shop.example' };
    expect(() => loadConfig(production)).toThrow(/ECTOR_API_KEY: must be Ector's key in production/);
    expect(loadConfig({ ...production, ECTOR_API_KEY_FILE: '/run/secrets/ector' }).ECTOR_API_KEY_FILE).toBe('/run/secrets/ector');
    expect(loadConfig({ ...production, ECTOR_API_KEY: 'a-real-ector-key' }).API_KEYS).toEqual([
      { tenant: 'shop', key: 'a-real-key-123' },
    ]);
  });

  test('API keys name their tenant; a tenant may have several keys so one can rotate', () => {
    expect(loadConfig({ API_KEYS: 'shop:key-one-123, shop:key-two-456 ,fleet:key-three-789' }).API_KEYS).toEqual([
      { tenant: 'shop', key: 'key-one-123' },
      { tenant: 'shop', key: 'key-two-456' },
      { tenant: 'fleet', key: 'key-three-789' },
    ]);
    expect(() => loadConfig({ API_KEYS: 'a-bare-key-123' })).toThrow(/API_KEYS\.0: each entry is tenant:key/);
    expect(() => loadConfig({ API_KEYS: 'Shop!:a-real-key-123' })).toThrow(/API_KEYS\.0\.tenant/);
    expect(() => loadConfig({ API_KEYS: 'shop:short' })).toThrow(/API_KEYS\.0\.key: each API key needs at least 8 characters/);
  });
});
