import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Secrets (upstream tokens) travel through Temporal only sealed with AES-256-GCM under the
// service's key, so workflow history, the Web UI and logs never see them in clear.
//
// Kept although every payload is also encrypted by the payload codec (src/temporal/codec.ts):
// the codec endpoint exists so that a signed-in operator reads payloads in clear in the Temporal
// UI, and a token must stay unreadable even then (an operator debugging a journey needs its state,
// never the credentials to act as the driver). Only an activity opens a sealed token, in memory.
// The codec also protects the server's copy; sealing protects the token from everyone but the worker.

declare const sealedBrand: unique symbol;
export type Sealed = string & { readonly [sealedBrand]: true };

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(keyBase64: string) {
    this.key = Buffer.from(keyBase64, 'base64');
    if (this.key.length !== 32) throw new RangeError('the sealing key must be 32 bytes, base64-encoded');
  }

  seal(plain: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.') as Sealed;
  }

  open(sealed: Sealed | string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
