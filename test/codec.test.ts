import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { ConfigError, loadConfig } from '../src/config';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, PayloadDecryptionError } from '../src/temporal/codec';
import { createDataConverter } from '../src/temporal/data-converter';
import { failureConverter } from '../src/temporal/failure-converter';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const OLD = { id: 'k-2024', key: key(1) };
const NEW = { id: 'k-2025', key: key(2) };
const text = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('utf8');

const journey = { plate: 'B123XYZ', phone: '+40722000111', accessToken: 'secret-token-123' };
const clear = (): Payload => defaultPayloadConverter.toPayload(journey);

describe('payload encryption codec', () => {
  test('round trip: the decoded payload is the original, metadata included', async () => {
    const codec = new EncryptionCodec([NEW]);
    const original = clear();
    const [encrypted] = await codec.encode([original]);
    const [decoded] = await codec.decode([encrypted!]);
    expect(text(decoded!.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(journey);
  });

  test('the ciphertext hides the data and carries only the encoding and the key id', async () => {
    const codec = new EncryptionCodec([NEW]);
    const [a, b] = await codec.encode([clear(), clear()]);
    expect(Object.fromEntries(Object.entries(a!.metadata!).map(([k, v]) => [k, text(v)]))).toEqual({
      [METADATA_ENCODING_KEY]: ENCRYPTED_ENCODING,
      [KEY_ID_METADATA]: 'k-2025',
    });
    for (const secret of ['B123XYZ', '+40722000111', 'secret-token-123', 'plate', 'json/plain'])
      expect(text(a!.data)).not.toContain(secret);
    expect(Buffer.from(a!.data!).equals(Buffer.from(clear().data!))).toBe(false);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false); // a fresh IV each time
  });

  test('rotation: payloads encrypted with the old key decrypt while the old key stays in the ring', async () => {
    const [underOld] = await new EncryptionCodec([OLD]).encode([clear()]);
    const rotated = new EncryptionCodec([NEW, OLD]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([underOld!]))[0]!)).toEqual(journey);
    const [fresh] = await rotated.encode([clear()]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k-2025'); // the first key encrypts

    await expect(new EncryptionCodec([NEW]).decode([underOld!])).rejects.toThrow(/key "k-2024", which is not in PARKFLOW_PAYLOAD_KEYS/);
  });

  test('a flipped byte anywhere in the ciphertext is rejected, never decoded to garbage', async () => {
    const codec = new EncryptionCodec([NEW]);
    const [encrypted] = await codec.encode([clear()]);
    const length = encrypted!.data!.length;
    for (const at of [0, 12, Math.floor(length / 2), length - 1]) {
      const data = Buffer.from(encrypted!.data!);
      data[at] = data[at]! ^ 0x01;
      await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(PayloadDecryptionError);
    }
    await expect(codec.decode([{ ...encrypted!, data: encrypted!.data!.subarray(0, 20) }])).rejects.toThrow(/too short/);
  });

  test('a changed or missing key id is rejected, even when it names another key of the ring', async () => {
    const codec = new EncryptionCodec([NEW, OLD]);
    const [encrypted] = await codec.encode([clear()]);
    const relabel = (id?: string): Payload => ({
      data: encrypted!.data,
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), ...(id ? { [KEY_ID_METADATA]: Buffer.from(id) } : {}) },
    });
    await expect(codec.decode([relabel('k-2024')])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([relabel('nobody')])).rejects.toThrow(/not in PARKFLOW_PAYLOAD_KEYS/);
    await expect(codec.decode([relabel()])).rejects.toThrow(/without an encryption-key-id/);
  });

  test('same key bytes under another id do not decrypt either (the id is authenticated)', async () => {
    const [encrypted] = await new EncryptionCodec([NEW]).encode([clear()]);
    const twin = new EncryptionCodec([{ id: 'twin', key: NEW.key }]);
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('twin') } };
    await expect(twin.decode([relabelled])).rejects.toThrow(PayloadDecryptionError);
  });

  test('payloads recorded before encryption pass through decode unchanged', async () => {
    const codec = new EncryptionCodec([NEW]);
    const plain = clear();
    const binary = defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]));
    const nothing = defaultPayloadConverter.toPayload(undefined);
    expect(await codec.decode([plain, binary, nothing])).toEqual([plain, binary, nothing]);
  });

  test('a bad ring is refused when the codec is built', () => {
    expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
    expect(() => new EncryptionCodec([{ id: 'short', key: 'c2hvcnQ=' }])).toThrow(/32 bytes/);
    expect(() => new EncryptionCodec([NEW, NEW])).toThrow(/twice/);
  });
});

describe('the data converter and its configuration', () => {
  test('one converter for client, worker and tests: the codec from PARKFLOW_PAYLOAD_KEYS and encoded failure messages', async () => {
    const converter = createDataConverter(loadConfig({ PARKFLOW_PAYLOAD_KEYS: `${NEW.id}:${NEW.key},${OLD.id}:${OLD.key}` }));
    expect(converter.failureConverterPath).toBe(require.resolve('../src/temporal/failure-converter'));
    const failure = failureConverter.errorToFailure(new Error('plate B123XYZ refused'), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(defaultPayloadConverter.fromPayload(failure.encodedAttributes!)).toMatchObject({ message: 'plate B123XYZ refused' });

    const [encrypted] = await converter.payloadCodecs![0]!.encode([clear()]);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k-2025');
  });

  test('the development ring is dev-1; keys parse as id:base64 and a bad entry is named', () => {
    expect(loadConfig({}).PARKFLOW_PAYLOAD_KEYS.map((k) => k.id)).toEqual(['dev-1']);
    expect(loadConfig({ PARKFLOW_PAYLOAD_KEYS: ` ${NEW.id}:${NEW.key} , ${OLD.id}:${OLD.key}` }).PARKFLOW_PAYLOAD_KEYS).toEqual([NEW, OLD]);
    expect(() => loadConfig({ PARKFLOW_PAYLOAD_KEYS: key(1) })).toThrow(/PARKFLOW_PAYLOAD_KEYS\.0: each entry is keyId:base64-key/);
    expect(() => loadConfig({ PARKFLOW_PAYLOAD_KEYS: 'k:c2hvcnQ=' })).toThrow(/PARKFLOW_PAYLOAD_KEYS\.0: each key must be 32 bytes/);
    expect(() => loadConfig({ PARKFLOW_PAYLOAD_KEYS: `a:${key(1)},a:${key(2)}` })).toThrow(/PARKFLOW_PAYLOAD_KEYS: each key id only once/);
    expect(() => loadConfig({ PARKFLOW_OPERATOR_KEYS: 'too-short' })).toThrow(
      /PARKFLOW_OPERATOR_KEYS\.0: each operator key needs at least 16/,
    );
    expect(() => loadConfig({ PARKFLOW_UI_ORIGINS: 'https://ui.example/path' })).toThrow(/PARKFLOW_UI_ORIGINS\.0/);
  });

  test('production refuses the development payload key and operator key', () => {
    const production = {
      NODE_ENV: 'production',
      PARKFLOW_SECRET_KEY: key(9),
      API_KEYS: 'shop:a-real-key-123',
      MOBILPAY_PUBLIC_KEY_PEM: '-----BEGIN PUBLIC KEY-----\nnetopia\n-----END PUBLIC KEY-----',
      MOBILPAY_BILLING_EMAIL: 'billing@shop.example',
      ECTOR_API_KEY: 'a-real-ector-key',
    };
    const error = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(error(production)).toMatch(/PARKFLOW_PAYLOAD_KEYS: must not contain the development key/);
    expect(error(production)).toMatch(/PARKFLOW_OPERATOR_KEYS: must not contain the development key/);
    const dev = loadConfig({}).PARKFLOW_PAYLOAD_KEYS[0]!;
    expect(
      error({
        ...production,
        PARKFLOW_PAYLOAD_KEYS: `${NEW.id}:${NEW.key},old:${dev.key}`,
        PARKFLOW_OPERATOR_KEYS: 'op-key-0123456789abc',
      }),
    ).toMatch(/PARKFLOW_PAYLOAD_KEYS/);
    expect(error({ ...production, PARKFLOW_PAYLOAD_KEYS: `${NEW.id}:${NEW.key}`, PARKFLOW_OPERATOR_KEYS: 'op-key-0123456789abc' })).toBe(
      '',
    );
    // A worker serves no codec endpoint: it needs no operator key.
    expect(error({ ...production, PARKFLOW_ROLE: 'worker', PARKFLOW_PAYLOAD_KEYS: `${NEW.id}:${NEW.key}` })).toBe('');
  });
});
