import { createHash } from 'node:crypto';
import { z } from 'zod';
import { JwtError, verifyRs512 } from '../../domain/jwt';

// Verifies a Netopia IPN as Netopia's own SDKs do: the Verification-token header is an RS512 JWT
// from "NETOPIA Payments" for our POS signature whose `sub` is base64(SHA-512(raw body)).

export const NetopiaIpn = z
  .object({
    order: z.object({ orderID: z.string().min(1) }).loose(),
    payment: z.object({ ntpID: z.string(), status: z.number().int() }).loose(),
  })
  .loose();
export type NetopiaIpn = z.infer<typeof NetopiaIpn>;

export class IpnRejected extends Error {}

export function verifyNetopiaIpn(
  rawBody: Buffer,
  token: string | undefined,
  settings: { publicKeyPem: string; posSignature: string; nowSeconds: number },
): NetopiaIpn {
  if (!token) throw new IpnRejected('missing Verification-token');
  let claims;
  try {
    claims = verifyRs512(token, settings.publicKeyPem, settings.nowSeconds);
  } catch (err) {
    throw new IpnRejected(err instanceof JwtError ? err.message : 'invalid token');
  }
  if (claims.iss !== 'NETOPIA Payments') throw new IpnRejected('wrong issuer');
  const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  if (audience !== settings.posSignature) throw new IpnRejected('wrong audience');
  if (typeof claims.exp !== 'number') throw new IpnRejected('token without expiry');
  if (claims.sub !== createHash('sha512').update(rawBody).digest('base64')) throw new IpnRejected('body does not match the token');
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new IpnRejected('body is not JSON');
  }
  const parsed = NetopiaIpn.safeParse(json);
  if (!parsed.success) throw new IpnRejected('body is not an IPN');
  return parsed.data;
}
