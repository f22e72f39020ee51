// The day a reconciliation covers: a calendar day in UTC (the Schedule runs at 03:00 UTC and takes
// the day before), so the day's bounds are the same whoever computes them.

export const RECONCILIATION_TIME_ZONE = 'UTC';

const DAY_MS = 24 * 3600_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The day before the instant's day: what a run scheduled at that instant reconciles. */
export function dayBefore(instantMs: number): string {
  return new Date(instantMs - DAY_MS).toISOString().slice(0, 10);
}

/** [start, end) of the day, as ISO instants. */
export function dayBounds(day: string): { start: string; end: string } {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  const start = Date.parse(`${day}T00:00:00Z`);
  return { start: new Date(start).toISOString(), end: new Date(start + DAY_MS).toISOString() };
}
