import { z } from 'zod';

// Ector Partners API v3 on the wire: every request and answer shape parkflow and its simulator
// use, in this one file, so it can be corrected against the real Postman collection later.
//
// FROM THE SEED (004): base URLs, the X-ECTOR-AUTHENTICATION and X-ECTOR-ENVIRONMENT headers, the
// error body, E.164 phones, ISO 8601 datetimes read in the zone's time zone, the five calls
// (GET /v3/zones, GET /v3/quotes, POST /v3/bookings, POST /v3/bookings/{id}/pay, cancel),
// `contact_id` and `car_id` in the booking's answer, the service codes `covered_parking` (in
// zones' `available_services`, with its price, and in quotes) and `cancellation_insurance`.
// ASSUMED (research §3 PROPOSALs; the collection's endpoint items were not retrievable): every
// field name below that is not in that list, the status values, the error codes, the cancel path,
// and the look-up of a booking by our `partner_reference` (parkflow's idempotency key for the
// creation: see createBooking in ./client.ts).

export const ECTOR_AUTH_HEADER = 'X-ECTOR-AUTHENTICATION';
export const ECTOR_ENVIRONMENT_HEADER = 'X-ECTOR-ENVIRONMENT';
/** Always "production", on the sandbox too (seed): only the base URL picks the environment. */
export const ECTOR_ENVIRONMENT = 'production';

export const SERVICE_CODES = ['covered_parking', 'cancellation_insurance'] as const;
export type ServiceCode = (typeof SERVICE_CODES)[number];

const decimal = z.string().regex(/^\d+(\.\d{1,2})?$/, 'a decimal amount');
/** An instant with an explicit offset, as Ector shows it: the zone's local time. */
const instant = z.iso.datetime({ offset: true });

export const EctorMoney = z.object({ amount: decimal, currency: z.string().regex(/^[A-Z]{3}$/) });
export type EctorMoney = z.infer<typeof EctorMoney>;

/** An optional service and its price; codes we do not know are kept, not refused. */
export const EctorService = z.object({ code: z.string(), price: EctorMoney });

export const EctorZone = z.object({
  id: z.string().min(1),
  name: z.string(),
  type: z.string(),
  address: z.string().optional(),
  /** IANA name: the zone's local times are read in it (seed: "Airport or Station timezone"). */
  timezone: z.string().min(1),
  available_services: z.array(EctorService),
});
export type EctorZone = z.infer<typeof EctorZone>;
export const ZonesAnswer = z.array(EctorZone);

/** GET /v3/quotes?zone_id=&start_at=&end_at= */
export const QuoteAnswer = z.object({
  zone_id: z.string(),
  start_at: instant,
  end_at: instant,
  available: z.boolean(),
  /** The parking alone; services are priced apart. */
  price: EctorMoney,
  available_services: z.array(EctorService),
});
export type QuoteAnswer = z.infer<typeof QuoteAnswer>;

export const ContactDetails = z.object({
  first_name: z.string().min(1),
  last_name: z.string().min(1),
  email: z.string().min(3),
  /** E.164 (seed); Ector converts a badly formatted one assuming France, and rejects an invalid one. */
  phone: z.string().min(1),
});
export const CarDetails = z.object({
  plate: z.string().min(1),
  brand: z.string().optional(),
  model: z.string().optional(),
  color: z.string().optional(),
});

/** POST /v3/bookings: either the details or the ids an earlier booking answered with. */
export const BookingRequest = z.object({
  zone_id: z.string().min(1),
  start_at: z.string().min(1),
  end_at: z.string().min(1),
  services: z.array(z.string()).default([]),
  contact: ContactDetails.optional(),
  contact_id: z.string().optional(),
  car: CarDetails.optional(),
  car_id: z.string().optional(),
  /** Ours: the journey's id, so a creation whose answer was lost can be found again. */
  partner_reference: z.string().max(64).optional(),
});
export type BookingRequest = z.input<typeof BookingRequest>;

export const BOOKING_STATUSES = ['pending_payment', 'paid', 'cancelled', 'expired'] as const;
export const BookingAnswer = z.object({
  id: z.string().min(1),
  status: z.enum(BOOKING_STATUSES),
  zone_id: z.string(),
  start_at: instant,
  end_at: instant,
  created_at: instant,
  contact_id: z.string(),
  car_id: z.string(),
  services: z.array(z.string()),
  /** The parking and its services. */
  total: EctorMoney,
  partner_reference: z.string().nullable().optional(),
});
export type BookingAnswer = z.infer<typeof BookingAnswer>;
/** GET /v3/bookings?partner_reference= */
export const BookingsAnswer = z.array(BookingAnswer);

/** The error body (seed: a JSON Schema; `errors` optional, an array of strings). */
export const EctorError = z.object({
  status_code: z.number(),
  error_code: z.string(),
  message: z.string(),
  errors: z.array(z.string()).optional(),
});
export type EctorError = z.infer<typeof EctorError>;

/** The error codes the simulator answers with (all assumed: the catalogue is not public). */
export const ERROR_CODES = {
  InvalidApiKey: 'INVALID_API_KEY', // 401
  InvalidEnvironment: 'INVALID_ENVIRONMENT', // 400
  Validation: 'VALIDATION_ERROR', // 400, with errors: ["field: message"]
  ZoneNotFound: 'ZONE_NOT_FOUND', // 404
  BookingNotFound: 'BOOKING_NOT_FOUND', // 404
  ContactNotFound: 'CONTACT_NOT_FOUND', // 422: an id the nightly wipe erased
  CarNotFound: 'CAR_NOT_FOUND', // 422
  NotAvailable: 'NOT_AVAILABLE', // 422: no room for these dates
  InvalidDates: 'INVALID_DATES', // 422: start in the past, or not before the end
  PaymentWindowClosed: 'BOOKING_EXPIRED', // 422: paid more than the window after creation
  AlreadyPaid: 'BOOKING_ALREADY_PAID', // 409
  NotPayable: 'BOOKING_NOT_PAYABLE', // 409: cancelled
  CancellationNotAllowed: 'CANCELLATION_NOT_ALLOWED', // 422: no cancellation_insurance, or started
} as const;
