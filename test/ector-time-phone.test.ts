import { toE164 } from '../src/domain/phone';
import { inZone, isTimeZone, resolveInZone } from '../src/domain/zoned-time';

// Seed 004: datetimes are read in the airport's or station's time zone (an offset or Z is
// honoured), phones are E.164 with France as the region of a national number.

const resolved = (input: string, zone: string) => {
  const r = resolveInZone(input, zone);
  if (!r.ok) throw new Error(r.reason);
  return r.iso;
};

describe('zone-local times', () => {
  test("the seed's example: 16:05Z is 18:05 in Paris in July, with its +02:00 offset", () => {
    expect(resolved('2026-07-23T16:05:00Z', 'Europe/Paris')).toBe('2026-07-23T18:05:00+02:00');
    expect(resolved('2026-07-23T18:05:00+02:00', 'Europe/Paris')).toBe('2026-07-23T18:05:00+02:00');
    expect(inZone(Date.parse('2026-07-23T16:05:00Z'), 'Europe/Paris')).toBe('2026-07-23T18:05:00+02:00');
  });

  test('the same instant at La Réunion (no DST) is 20:05+04:00, in winter too', () => {
    expect(resolved('2026-07-23T16:05:00Z', 'Indian/Reunion')).toBe('2026-07-23T20:05:00+04:00');
    expect(resolved('2026-01-10T08:00', 'Indian/Reunion')).toBe('2026-01-10T08:00:00+04:00');
    expect(resolved('2026-01-10T08:00', 'Europe/Paris')).toBe('2026-01-10T08:00:00+01:00');
  });

  test('spring forward: a naive time the clocks skip is refused, the next hour exists at +02:00', () => {
    const gap = resolveInZone('2026-03-29T02:30', 'Europe/Paris');
    expect(gap.ok).toBe(false);
    expect(gap.ok ? '' : gap.reason).toMatch(/does not exist in Europe\/Paris/);
    expect(resolved('2026-03-29T03:00', 'Europe/Paris')).toBe('2026-03-29T03:00:00+02:00');
    expect(resolved('2026-03-29T01:59', 'Europe/Paris')).toBe('2026-03-29T01:59:00+01:00');
  });

  test('fall back: a naive repeated time is its first occurrence; an explicit +01:00 keeps the second', () => {
    expect(resolved('2026-10-25T02:30', 'Europe/Paris')).toBe('2026-10-25T02:30:00+02:00');
    expect(resolved('2026-10-25T02:30+01:00', 'Europe/Paris')).toBe('2026-10-25T02:30:00+01:00');
    const first = resolveInZone('2026-10-25T02:30', 'Europe/Paris');
    const second = resolveInZone('2026-10-25T02:30+01:00', 'Europe/Paris');
    expect(first.ok && second.ok && second.ms - first.ms).toBe(3600_000);
  });

  test('an unknown zone or a string that is not a datetime is refused', () => {
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
    expect(resolveInZone('2026-07-23T18:05', 'Europe/Atlantis').ok).toBe(false);
    expect(resolveInZone('tomorrow at six', 'Europe/Paris').ok).toBe(false);
  });
});

describe('E.164 phones (France by default)', () => {
  test('a French national number and a spaced international one are the same E.164 number', () => {
    expect(toE164('0612345678')).toBe('+33612345678');
    expect(toE164('+33 6 12 34 56 78')).toBe('+33612345678');
    expect(toE164('06 12 34 56 78', 'FR')).toBe('+33612345678');
  });

  test('an invalid number is undefined (Ector would reject it)', () => {
    expect(toE164('06 12')).toBeUndefined();
    expect(toE164('not a phone')).toBeUndefined();
  });

  test('a Romanian number in international form stays Romanian', () => {
    expect(toE164('+40 721 234 567')).toBe('+40721234567');
  });
});
