import { DateTime, IANAZone } from 'luxon';

// Times at a place (Ector's airports and stations): instants shown in the zone's own time with
// that date's offset, DST-correct, from the zone's IANA name.
//
// An input with an offset or `Z` is an instant (seed 004: "2019-07-23T16:05:00Z" is 18:05 in
// Paris). An input without one is a wall-clock time in the zone:
// - in the spring-forward gap (2026-03-29 02:30 does not exist in Paris) it is refused: the
//   caller picks a time that exists, rather than us moving a booking by an hour;
// - in the repeated autumn hour (2026-10-25 02:30 happens twice in Paris) it is the first
//   occurrence (+02:00), as java.time does; send an offset to mean the second.

export type Resolved = { ok: true; iso: string; ms: number } | { ok: false; reason: string };

const HAS_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const HOUR_MS = 3_600_000;

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The instant `ms` as the zone's local time with its offset: `2026-07-23T18:05:00+02:00`. */
export function inZone(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** An ISO 8601 datetime (instant, or wall-clock time in `zone`) as an instant in the zone's time. */
export function resolveInZone(input: string, zone: string): Resolved {
  if (!isTimeZone(zone)) return { ok: false, reason: `unknown time zone ${zone}` };
  if (HAS_OFFSET.test(input)) {
    const at = DateTime.fromISO(input, { setZone: true });
    if (!at.isValid) return { ok: false, reason: 'not an ISO 8601 datetime' };
    return { ok: true, ms: at.toMillis(), iso: inZone(at.toMillis(), zone) };
  }
  const wall = DateTime.fromISO(input, { zone: 'utc' });
  if (!wall.isValid) return { ok: false, reason: 'not an ISO 8601 datetime' };
  // Every instant whose local time in the zone is this wall-clock time: none (a gap), one, or two.
  const tz = IANAZone.create(zone);
  const guess = wall.toMillis();
  const offsets = new Set([tz.offset(guess - 3 * HOUR_MS), tz.offset(guess), tz.offset(guess + 3 * HOUR_MS)]);
  const matches = [...offsets]
    .map((minutes) => guess - minutes * 60_000)
    .filter((ms) => tz.offset(ms) * 60_000 === guess - ms)
    .sort((a, b) => a - b);
  if (matches.length === 0) {
    return { ok: false, reason: `${input} does not exist in ${zone} (the clocks go forward then); choose a time that exists` };
  }
  return { ok: true, ms: matches[0]!, iso: inZone(matches[0]!, zone) };
}
