import { lookup } from 'node:dns';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';

// Subscriber URLs are chosen by tenants, and parkflow calls them from inside its network: a URL that
// resolves to loopback, a private or link-local range (cloud metadata at 169.254.169.254) would turn
// event delivery into a way to reach what only parkflow can reach (SSRF). Checked when a subscription
// is made and again at each delivery, on the addresses the connection really uses (DNS may change).

export interface TargetPolicy {
  /** Development only: http and private/loopback targets (a receiver on the same machine). */
  allowPrivate: boolean;
}

const lookupAll = promisify(lookup);
/** A resolver that does not answer is a host we cannot check. */
const LOOKUP_TIMEOUT_MS = 5_000;

/** Why the address may not be called, or undefined when it is a public unicast address. */
export function refusedAddress(address: string, policy: TargetPolicy): string | undefined {
  if (policy.allowPrivate) return undefined;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is in a ${range} range`;
}

/** Why the URL may not be a subscriber's, or undefined. Resolves its host name. */
export async function refusedSubscriberUrl(raw: string, policy: TargetPolicy): Promise<string | undefined> {
  if (!URL.canParse(raw)) return 'not a URL';
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return refusedAddress(host, policy);
  if (policy.allowPrivate) return undefined;
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('lookup timed out')), LOOKUP_TIMEOUT_MS).unref());
    const addresses = await Promise.race([lookupAll(host, { all: true }), timeout]);
    for (const { address } of addresses) {
      const refused = refusedAddress(address, policy);
      if (refused) return `${host} resolves to ${refused}`;
    }
    return undefined;
  } catch {
    return `${host} does not resolve`;
  }
}

/** A `lookup` for http(s).request that refuses, at connection time, a host resolving to a refused address. */
export function guardedLookup(policy: TargetPolicy): typeof lookup {
  return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      const list = addresses as Array<{ address: string; family: number }>;
      const refused = list.map((a) => refusedAddress(a.address, policy)).find(Boolean);
      if (refused)
        return callback(Object.assign(new Error(`refused target: ${hostname} resolves to ${refused}`), { code: 'ETARGETREFUSED' }));
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  }) as unknown as typeof lookup;
}
