import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

// Who may use the codec endpoint (and so read decrypted payloads): an operator presenting one of
// PARKFLOW_OPERATOR_KEYS, as a bearer token or through a session cookie set by signing in with it.
// The cookie holds an expiry and the operator's key fingerprint, signed with HMAC-SHA256; it is
// void once expired, once its key leaves PARKFLOW_OPERATOR_KEYS, or if one byte is changed.

export const SESSION_COOKIE = 'parkflow_codec_session';
export const SESSION_HOURS = 8;

export class OperatorKeys {
  private readonly signingKey: Buffer;
  private readonly digests: Buffer[];

  /** secretKeyBase64: PARKFLOW_SECRET_KEY; the session key is derived from it for this one use. */
  constructor(
    private readonly operatorKeys: readonly string[],
    secretKeyBase64: string,
  ) {
    this.signingKey = Buffer.from(hkdfSync('sha256', Buffer.from(secretKeyBase64, 'base64'), '', 'parkflow operator session v1', 32));
    this.digests = operatorKeys.map(sha256);
  }

  /** The operator key presented, if it is one of the configured ones (constant-time). */
  isOperatorKey(candidate: string): boolean {
    const digest = sha256(candidate);
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(known, digest) || match;
    return match;
  }

  /** A short, stable name for an operator key, for the cookie and the audit log; it reveals nothing of the key. */
  fingerprint(operatorKey: string): string {
    return this.mac(`operator:${operatorKey}`).subarray(0, 12).toString('base64url');
  }

  /** A session cookie value for a valid operator key, good for SESSION_HOURS. */
  issue(operatorKey: string, nowMs = Date.now()): { value: string; expiresAtMs: number } {
    const expiresAtMs = nowMs + SESSION_HOURS * 3_600_000;
    const claims = `${expiresAtMs}.${this.fingerprint(operatorKey)}`;
    return { value: `${claims}.${this.mac(claims).toString('base64url')}`, expiresAtMs };
  }

  /** The operator's fingerprint if the cookie value is genuine, unexpired and its key still configured. */
  verify(value: string | undefined, nowMs = Date.now()): string | undefined {
    const [expires, operator, signature, ...rest] = (value ?? '').split('.');
    if (!expires || !operator || !signature || rest.length > 0) return undefined;
    const expected = this.mac(`${expires}.${operator}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const expiresAtMs = Number(expires);
    if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs <= nowMs || expiresAtMs > nowMs + SESSION_HOURS * 3_600_000) return undefined;
    return this.operatorKeys.some((k) => this.fingerprint(k) === operator) ? operator : undefined;
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.signingKey).update(text).digest();
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
