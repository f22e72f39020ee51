import { z } from 'zod';

// Field schemas shared by several rows and by the base configuration. A leaf module: the
// configuration imports the rows, so the rows cannot import the configuration's values.

/** A vehicle registration plate, as drivers type it. */
export const plate = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9-]{2,12}$/, 'letters, digits and dashes, 2 to 12 characters')
  .meta({ example: 'B123XYZ' });

export const port = z.coerce.number().int().min(0).max(65535);
export const url = z.url();
export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');
