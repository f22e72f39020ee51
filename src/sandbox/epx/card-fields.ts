// Browser Post's field validation (North data dictionary, "Browser Post Validation Response
// Fields"): BP_FIELD_ERRORS lists `field^code` pairs joined by `|`, field names in lower case;
// FE_001 required field missing, FE_002 failed its format (regular expression), FE_003 ACCOUNT_NBR
// failed the MOD-10 (Luhn) check. Which fields are required and the exact formats are not public:
// the simulator requires the card number and expiry, and checks the formats of what else is sent.

export type FieldError = 'FE_001' | 'FE_002' | 'FE_003';

const FORMATS: Record<string, RegExp> = {
  ACCOUNT_NBR: /^\d{12,19}$/,
  EXP_DATE: /^\d{2}(0[1-9]|1[0-2])$/, // YYMM
  CVV2: /^\d{3,4}$/,
  ZIP_CODE: /^[A-Za-z0-9 -]{3,10}$/,
  FIRST_NAME: /^[\p{L} .'-]{1,30}$/u,
  LAST_NAME: /^[\p{L} .'-]{1,30}$/u,
};
const REQUIRED = ['ACCOUNT_NBR', 'EXP_DATE'];

/** The MOD-10 check every card number passes (the seed card 4000000000000002 does). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function errorOf(name: string, value: string | undefined): FieldError | undefined {
  if (!value) return REQUIRED.includes(name) ? 'FE_001' : undefined;
  if (!FORMATS[name]!.test(value)) return 'FE_002';
  if (name === 'ACCOUNT_NBR' && !passesLuhn(value)) return 'FE_003';
  return undefined;
}

/** The BP_FIELD_ERRORS value for a posted form ('' when every field is accepted). */
export function fieldErrors(fields: Record<string, string | undefined>): string {
  return Object.keys(FORMATS)
    .map((name) => [name, errorOf(name, fields[name]?.trim())] as const)
    .filter(([, error]) => error)
    .map(([name, error]) => `${name.toLowerCase()}^${error}`)
    .join('|');
}
