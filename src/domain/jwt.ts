import { createSign, createVerify } from 'node:crypto';

// The minimum of JWT that Netopia's IPN needs: RS512 signatures over base64url JSON.

export interface JwtClaims {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  [claim: string]: unknown;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function signRs512(claims: JwtClaims, privateKeyPem: string): string {
  const head = `${b64url(JSON.stringify({ alg: 'RS512', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${createSign('RSA-SHA512').update(head).sign(privateKeyPem).toString('base64url')}`;
}

export class JwtError extends Error {}

/** Verifies signature, algorithm and time claims (with leeway); returns the claims. */
export function verifyRs512(token: string, publicKeyPem: string, nowSeconds: number, leewaySeconds = 60): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [header, payload, signature] = parts as [string, string, string];
  let head: { alg?: string };
  let claims: JwtClaims;
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed token');
  }
  if (head.alg !== 'RS512') throw new JwtError(`unexpected algorithm ${String(head.alg)}`);
  if (!createVerify('RSA-SHA512').update(`${header}.${payload}`).verify(publicKeyPem, Buffer.from(signature, 'base64url'))) {
    throw new JwtError('bad signature');
  }
  if (typeof claims.exp === 'number' && nowSeconds > claims.exp + leewaySeconds) throw new JwtError('token expired');
  if (typeof claims.nbf === 'number' && nowSeconds + leewaySeconds < claims.nbf) throw new JwtError('token not yet valid');
  if (typeof claims.iat === 'number' && claims.iat > nowSeconds + leewaySeconds) throw new JwtError('token issued in the future');
  return claims;
}
