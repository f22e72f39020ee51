import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

// Phone numbers as Ector wants them (seed 004): E.164, checked against libphonenumber's full
// metadata, with France as the region of a national number. We normalise before sending, so a
// number Ector would misread (a Romanian national number taken as French) is never sent as is.

/** `0612345678` or `+33 6 12 34 56 78` → `+33612345678`; undefined when libphonenumber says invalid. */
export function toE164(input: string, defaultRegion: CountryCode = 'FR'): string | undefined {
  const parsed = parsePhoneNumberFromString(input, defaultRegion);
  return parsed?.isValid() ? parsed.number : undefined;
}
