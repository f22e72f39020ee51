import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

// Every payload parkflow hands Temporal (workflow and activity inputs and results, signals,
// updates, queries, memo, encoded failure messages) is encrypted with AES-256-GCM before it
// leaves the process. The whole original Payload (its metadata too) is serialised inside, so
// the server, `temporal workflow show` and the Web UI without the codec endpoint see only
// `binary/encrypted` and the key id. Search attributes never pass through a codec.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One key of the ring: its id (stored with every payload it encrypts) and 32 bytes, base64. */
export interface PayloadKey {
  id: string;
  key: string;
}

export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Encrypts with the first key of the ring; decrypts with whichever key the payload names. */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();
  private readonly encryptingKeyId: string;

  constructor(ring: readonly PayloadKey[]) {
    if (ring.length === 0) throw new RangeError('the payload key ring needs at least one key');
    for (const { id, key } of ring) {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length !== 32) throw new RangeError(`payload key ${id} must be 32 bytes, base64-encoded`);
      if (this.keys.has(id)) throw new RangeError(`payload key id ${id} appears twice`);
      this.keys.set(id, bytes);
    }
    this.encryptingKeyId = ring[0]!.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.encryptingKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(keyId, 'utf8')); // the key id cannot be swapped without failing authentication
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    // Payloads written before encryption was turned on stay readable (their histories still replay).
    if (metadataText(payload, METADATA_ENCODING_KEY) !== ENCRYPTED_ENCODING) return payload;
    const keyId = metadataText(payload, KEY_ID_METADATA);
    if (!keyId) throw new PayloadDecryptionError('encrypted payload without an encryption-key-id');
    const key = this.keys.get(keyId);
    if (!key) throw new PayloadDecryptionError(`payload encrypted with key "${keyId}", which is not in PARKFLOW_PAYLOAD_KEYS`);
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new PayloadDecryptionError(`encrypted payload (key "${keyId}") failed authentication: tampered or corrupt`, { cause: err });
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}
