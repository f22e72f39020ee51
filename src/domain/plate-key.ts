import { createHmac, hkdfSync } from 'node:crypto';

// Search attributes are never encrypted, so a journey is found by its plate through a keyed digest
// of it (JourneyPlateKey), never the plate itself: without the service's key, a digest tells nothing.

const INFO = 'parkflow plate search key v1';
/** 128 bits: no collision among any realistic number of plates. */
const HEX_LENGTH = 32;

/** The plate as drivers may type it, reduced to what identifies it: `cj-01 abc` and `CJ01ABC` are one plate. */
export function normalisePlate(plate: string): string {
  return plate.toUpperCase().replace(/[^0-9A-Z]/g, '');
}

/** HMAC-SHA256 of the normalised plate under a key derived (HKDF) from PARKFLOW_SECRET_KEY, as 32 hex digits. */
export function plateSearchKey(plate: string, secretKeyBase64: string): string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKeyBase64, 'base64'), Buffer.alloc(0), INFO, 32));
  return createHmac('sha256', key).update(normalisePlate(plate)).digest('hex').slice(0, HEX_LENGTH);
}
