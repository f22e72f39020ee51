import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Every journey and account belongs to one tenant (a backend service). The tenant is part of the
// workflow id, so the API knows the owner without asking Temporal, and another tenant's id is
// simply unknown (404). Keys map to tenants, so rotating a key orphans nothing.

export interface ApiKey {
  tenant: string;
  key: string;
}

/** The tenant of a presented X-API-Key, compared in constant time; undefined if no key matches. */
export function tenantOfKey(keys: readonly ApiKey[], presented: string): string | undefined {
  const given = Buffer.from(presented);
  let tenant: string | undefined;
  for (const entry of keys) {
    const known = Buffer.from(entry.key);
    if (known.length === given.length && timingSafeEqual(known, given)) tenant = entry.tenant;
  }
  return tenant;
}

export { ACCOUNT_ID, JOURNEY_ID, ownerOf } from './owners';

/** `journey-<tenant>-<20 hex>`: stable for one tenant's Idempotency-Key, readable in the Web UI. */
export function journeyIdFor(tenant: string, idempotencyKey: string): string {
  return `journey-${tenant}-${createHash('sha256').update(`${tenant}\n${idempotencyKey}`).digest('hex').slice(0, 20)}`;
}

/**
 * `account-parkingplus-<tenant>-<20 hex>`: one account per tenant and driver, so linking the same
 * driver again re-links it; keyed with the service's secret, so an e-mail address does not reveal it.
 */
export function accountIdFor(secretKeyBase64: string, tenant: string, email: string): string {
  const mac = createHmac('sha256', Buffer.from(secretKeyBase64, 'base64'))
    .update(`account-id\n${tenant}\n${email.trim().toLowerCase()}`)
    .digest('hex');
  return `account-parkingplus-${tenant}-${mac.slice(0, 20)}`;
}
