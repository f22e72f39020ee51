import { z } from 'zod';
import { zonedDateTime } from '../registry/operators';
import { Journey } from './schemas';

// Ector's zones and quotes as GET /v1/ector/zones and /v1/ector/quotes answer them.

// The same instance as schemas.ts's Money (private there): one Money component in /openapi.json.
const Money = Journey.shape.amount.unwrap();

export const EctorService = z
  .object({
    code: z
      .string()
      .meta({ example: 'covered_parking', description: 'covered_parking, cancellation_insurance, or one parkflow does not know yet.' }),
    price: Money,
  })
  .meta({ id: 'EctorService' });

export const EctorZone = z
  .object({
    id: z.string().meta({ example: 'CDG', description: 'The zoneId of a quote or an Ector journey.' }),
    name: z.string().meta({ example: 'Paris Charles de Gaulle' }),
    type: z.string().meta({ example: 'airport' }),
    address: z.string().optional(),
    timeZone: z
      .string()
      .meta({ example: 'Europe/Paris', description: "IANA name: times without an offset are read in the zone's local time." }),
    services: z.array(EctorService).meta({ description: 'The optional services the zone offers, with their prices.' }),
  })
  .meta({ id: 'EctorZone' });

export const EctorZoneList = z
  .object({
    zones: z.array(EctorZone),
    refreshedAt: z.iso.datetime().meta({ description: 'When the list was fetched from Ector (once a day).' }),
  })
  .meta({ id: 'EctorZoneList' });

export const EctorQuoteQuery = z
  .object({
    zoneId: z.string().trim().min(1).max(64).meta({ example: 'CDG', description: 'A zone id from GET /v1/ector/zones.' }),
    startAt: zonedDateTime.meta({
      example: '2030-07-23T18:05:00+02:00',
      description: "With an offset or Z: that instant. Without: the zone's local time (a time the clocks skip is refused).",
    }),
    endAt: zonedDateTime.meta({ example: '2030-07-30T09:00:00+02:00' }),
  })
  .strict();
export type EctorQuoteQuery = z.infer<typeof EctorQuoteQuery>;

export const EctorQuote = z
  .object({
    zoneId: z.string(),
    startAt: z.iso.datetime({ offset: true }).meta({ description: "In the zone's local time, with its offset." }),
    endAt: z.iso.datetime({ offset: true }),
    available: z.boolean().meta({ description: 'Whether Ector has room for these dates.' }),
    price: Money, // the parking alone: a .meta() here would inline Money instead of referring to it
    services: z.array(EctorService),
  })
  .meta({ id: 'EctorQuote', description: 'price is the parking alone; each optional service is priced in services.' });
