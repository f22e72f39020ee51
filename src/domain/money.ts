// Money is carried as decimal strings ("10.00") between systems and as integer minor units
// inside calculations: never as a float.

export interface Money {
  /** Decimal string with exactly two decimals, e.g. "10.00". */
  value: string;
  /** ISO 4217 code, e.g. "RON". */
  currency: string;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** "10.5" → 1050, "4.17" → 417. Rejects anything that is not an exact non-negative amount in cents. */
export function toMinorUnits(decimal: string): number {
  const match = DECIMAL.exec(decimal.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(decimal)}`);
  const [, whole = '0', fraction = ''] = match;
  if (fraction.replace(/0+$/, '').length > 2) throw new RangeError(`more than two decimals: ${decimal}`);
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`amount too large: ${decimal}`);
  return minor;
}

/** 1050 → "10.50". */
export function fromMinorUnits(minor: number): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`not a non-negative integer amount: ${minor}`);
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

/** Normalises any decimal amount to two decimals: "10.5" → "10.50". */
export function normalizeAmount(decimal: string): string {
  return fromMinorUnits(toMinorUnits(decimal));
}

export function money(value: string, currency: string): Money {
  return { value: normalizeAmount(value), currency: currency.toUpperCase() };
}
