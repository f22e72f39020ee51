import { createHash } from 'node:crypto';

/** Canonical JSON (sorted keys) so that key order does not make two equal bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Requests whose answer is still being computed in this process: a concurrent retry gets 409. */
export class InFlight {
  private readonly keys = new Set<string>();

  async run<T>(key: string, onBusy: () => never, fn: () => Promise<T>): Promise<T> {
    if (this.keys.has(key)) onBusy();
    this.keys.add(key);
    try {
      return await fn();
    } finally {
      this.keys.delete(key);
    }
  }
}
