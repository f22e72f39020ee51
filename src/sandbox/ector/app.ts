import { randomBytes } from 'node:crypto';
import { type NextFunction, type Request, type Response } from 'express';
import {
  BookingRequest,
  ECTOR_AUTH_HEADER,
  ECTOR_ENVIRONMENT,
  ECTOR_ENVIRONMENT_HEADER,
  ERROR_CODES,
  SERVICE_CODES,
  type BookingAnswer,
  type EctorZone,
  type QuoteAnswer,
} from '../../activities/ector/wire';
import { fromMinorUnits } from '../../domain/money';
import { toE164 } from '../../domain/phone';
import { inZone, resolveInZone } from '../../domain/zoned-time';
import { createSandboxApp, type Sandbox } from '../harness';
import { StateFile } from '../state-file';
import {
  parkingMinor,
  ZONES,
  type CreationRequest,
  type StoredBooking,
  type StoredCar,
  type StoredContact,
  type ZoneDefinition,
} from './model';

// Ector Partners API v3 simulator (seed 004; research §3; fidelity audit E-01…E-27).
// Seed rules: the X-ECTOR-AUTHENTICATION key, renewable (a rotated key refuses the old one);
// X-ECTOR-ENVIRONMENT must be "production" (case-insensitive) on every call, sandbox included;
// the error body {status_code, error_code, message, errors?: string[]}; phones converted to E.164
// with libphonenumber assuming France, invalid ones rejected; ISO 8601 datetimes read in the zone's
// own time zone (an offset or Z is honoured: 16:05Z is 18:05 in Paris); GET /v3/zones with
// covered_parking as an optional service priced in available_services (and in quotes);
// GET /v3/quotes for price and availability; POST /v3/bookings answering contact_id and car_id,
// reusable in later bookings; POST /v3/bookings/{id}/pay; no payment later than 60 minutes after
// creation; only bookings with cancellation_insurance can be cancelled; the nightly wipe of the
// sandbox's database (a control here).
// PROPOSALS (the collection's endpoint items are not public; shapes in ../../activities/ector/wire.ts):
// every field name not in the seed, the catalogue of zones and prices (started days × a daily
// price, services priced per booking), the error codes and which status each uses (401
// INVALID_API_KEY, 400 INVALID_ENVIRONMENT and VALIDATION_ERROR with errors "field: message", 404
// ZONE_NOT_FOUND/BOOKING_NOT_FOUND, 409/422 for business refusals), naive datetimes read as the
// zone's local time (a time the clocks skip is refused), answers in the zone's local time with
// its offset, the status values (an unpaid booking past the window shows `expired`), paying twice
// (409), POST /v3/bookings/{id}/cancel and its refusal once the stay has started, the look-up
// GET /v3/bookings?partner_reference=, and no deduplication of creations (the same body twice is
// two bookings: every creation request is recorded so tests can count them).
// Controls: /__sandbox/rotate-key, /wipe, /bookings, /availability, /settings, /creation-latency
// (a creation is made at once, its answer held: the "answer lost after Ector created it" case).
// The key is configuration, not state: a restart takes the configured key again.

export interface EctorSandboxOptions {
  apiKey?: string;
  /** Ector's payment window from a booking's creation (seed: 60 minutes). */
  paymentWindowSeconds?: number;
  /** Keep the state in <dataDir>/simulators/ector.json (a restart continues); in memory only without. */
  dataDir?: string;
}

/** What the simulator keeps on disk (its settings and key come from the options). */
interface EctorState {
  clockOffsetMs: number;
  bookings: StoredBooking[];
  contacts: StoredContact[];
  cars: StoredCar[];
  creationRequests: CreationRequest[];
  unavailable: string[];
}

export interface EctorSandbox extends Sandbox {
  settings: { paymentWindowSeconds: number };
  zones: readonly ZoneDefinition[];
  bookings: Map<string, StoredBooking>;
  contacts: Map<string, StoredContact>;
  cars: Map<string, StoredCar>;
  /** Every creation request that got past the headers, in order. */
  creationRequests: CreationRequest[];
  /** Zones made full by the availability control. */
  unavailable: Set<string>;
  /** Ector renews the key: the old one is refused from now on. */
  rotateKey(key: string): void;
  /** The nightly wipe: bookings, contacts and cars erased (ids answered before become unknown). */
  wipe(): void;
  /** A booking as GET /v3/bookings/{id} shows it. */
  view(booking: StoredBooking): BookingAnswer;
}

type Refusal = { status: number; code: string; message: string; errors?: string[] };
type Period = { startMs: number; endMs: number };

const newId = (prefix: string) => `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;

export function createEctorSandbox(options: EctorSandboxOptions = {}): EctorSandbox {
  const initialKey = options.apiKey ?? 'sandbox-ector-api-key';
  let apiKey = initialKey;
  const settings = { paymentWindowSeconds: options.paymentWindowSeconds ?? 3600 };
  const bookings = new Map<string, StoredBooking>();
  const contacts = new Map<string, StoredContact>();
  const cars = new Map<string, StoredCar>();
  const creationRequests: CreationRequest[] = [];
  const unavailable = new Set<string>();
  /** Creation answers to hold (the booking is made at once): the answer-lost case. */
  const creationLatency: Array<{ latencyMs: number; remaining: number }> = [];
  const wipe = () => {
    bookings.clear();
    contacts.clear();
    cars.clear();
  };
  const file = new StateFile<EctorState>(options.dataDir, 'ector');
  const save = () =>
    file.save({
      clockOffsetMs: clock.offsetMs,
      bookings: [...bookings.values()],
      contacts: [...contacts.values()],
      cars: [...cars.values()],
      creationRequests,
      unavailable: [...unavailable],
    });
  const sandbox = createSandboxApp(
    () => {
      wipe();
      creationRequests.length = 0;
      unavailable.clear();
      creationLatency.length = 0;
      apiKey = initialKey;
      settings.paymentWindowSeconds = options.paymentWindowSeconds ?? 3600;
    },
    file.path ? save : undefined,
  );
  const { app, clock } = sandbox;
  const saved = file.load();
  if (saved) {
    clock.offsetMs = saved.clockOffsetMs;
    for (const b of saved.bookings) bookings.set(b.id, b);
    for (const c of saved.contacts) contacts.set(c.id, c);
    for (const c of saved.cars) cars.set(c.id, c);
    creationRequests.push(...saved.creationRequests);
    for (const z of saved.unavailable) unavailable.add(z);
  }

  const zoneById = (id: unknown) => ZONES.find((z) => z.id === id);
  const price = (minor: number, currency = 'EUR') => ({ amount: fromMinorUnits(minor), currency });
  const zoneServices = (zone: ZoneDefinition) =>
    SERVICE_CODES.filter((code) => zone.services[code] !== undefined).map((code) => ({
      code,
      price: price(zone.services[code]!, zone.currency),
    }));

  /** The seed's error body, exactly: status_code, error_code, message and (for validation) errors. */
  const fail = (res: Response, refusal: Refusal) =>
    void res.status(refusal.status).json({
      status_code: refusal.status,
      error_code: refusal.code,
      message: refusal.message,
      ...(refusal.errors ? { errors: refusal.errors } : {}),
    });
  const invalid = (errors: string[]): Refusal => ({
    status: 400,
    code: ERROR_CODES.Validation,
    message: 'the request is not valid',
    errors,
  });

  const expired = (b: StoredBooking) => b.status === 'pending_payment' && clock.now() - b.createdMs > settings.paymentWindowSeconds * 1000;
  const view = (b: StoredBooking): BookingAnswer => {
    const zone = zoneById(b.zoneId)!;
    return {
      id: b.id,
      status: expired(b) ? 'expired' : b.status,
      zone_id: b.zoneId,
      start_at: inZone(b.startMs, zone.timezone),
      end_at: inZone(b.endMs, zone.timezone),
      created_at: inZone(b.createdMs, zone.timezone),
      contact_id: b.contactId,
      car_id: b.carId,
      services: b.services,
      total: price(b.totalMinor, b.currency),
      partner_reference: b.partnerReference ?? null,
    };
  };

  /** Zone-local (naive) or offset datetimes → a period; the seed's and our date rules. */
  const period = (zone: ZoneDefinition, startAt: string, endAt: string): Period | Refusal => {
    const start = resolveInZone(startAt, zone.timezone);
    const end = resolveInZone(endAt, zone.timezone);
    const errors = [...(start.ok ? [] : [`start_at: ${start.reason}`]), ...(end.ok ? [] : [`end_at: ${end.reason}`])];
    if (!start.ok || !end.ok) return invalid(errors);
    if (start.ms < clock.now()) return { status: 422, code: ERROR_CODES.InvalidDates, message: 'start_at is in the past' };
    if (end.ms <= start.ms) return { status: 422, code: ERROR_CODES.InvalidDates, message: 'end_at must be after start_at' };
    return { startMs: start.ms, endMs: end.ms };
  };
  const isRefusal = (x: Period | Refusal): x is Refusal => 'code' in x;

  // Every /v3 call: the current key, then the environment header (the sandbox requires it too).
  const guard = (req: Request, res: Response, next: NextFunction) => {
    if (req.get(ECTOR_AUTH_HEADER) !== apiKey)
      return fail(res, { status: 401, code: ERROR_CODES.InvalidApiKey, message: `missing or invalid ${ECTOR_AUTH_HEADER}` });
    if ((req.get(ECTOR_ENVIRONMENT_HEADER) ?? '').trim().toLowerCase() !== ECTOR_ENVIRONMENT)
      return fail(res, {
        status: 400,
        code: ERROR_CODES.InvalidEnvironment,
        message: `${ECTOR_ENVIRONMENT_HEADER} must be "${ECTOR_ENVIRONMENT}" on every call, sandbox included`,
      });
    next();
  };
  app.use('/v3', guard);

  app.get('/v3/zones', (_req, res) => {
    const zones: EctorZone[] = ZONES.map((z) => ({
      id: z.id,
      name: z.name,
      type: z.type,
      address: z.address,
      timezone: z.timezone,
      available_services: zoneServices(z),
    }));
    res.json(zones);
  });

  app.get('/v3/quotes', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const missing = ['zone_id', 'start_at', 'end_at'].filter((k) => typeof q[k] !== 'string' || !q[k]).map((k) => `${k}: required`);
    if (missing.length) return fail(res, invalid(missing));
    const zone = zoneById(q.zone_id);
    if (!zone) return fail(res, { status: 404, code: ERROR_CODES.ZoneNotFound, message: `zone ${String(q.zone_id)} not found` });
    const p = period(zone, q.start_at as string, q.end_at as string);
    if (isRefusal(p)) return fail(res, p);
    const answer: QuoteAnswer = {
      zone_id: zone.id,
      start_at: inZone(p.startMs, zone.timezone),
      end_at: inZone(p.endMs, zone.timezone),
      available: !unavailable.has(zone.id),
      price: price(parkingMinor(zone, p.startMs, p.endMs), zone.currency),
      available_services: zoneServices(zone),
    };
    res.json(answer);
  });

  app.post('/v3/bookings', (req, res) => {
    const body: unknown = req.body;
    const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const record: CreationRequest = {
      at: new Date(clock.now()).toISOString(),
      partnerReference: typeof raw.partner_reference === 'string' ? raw.partner_reference : undefined,
      startAt: typeof raw.start_at === 'string' ? raw.start_at : undefined,
      endAt: typeof raw.end_at === 'string' ? raw.end_at : undefined,
      contactId: typeof raw.contact_id === 'string' ? raw.contact_id : undefined,
      carId: typeof raw.car_id === 'string' ? raw.car_id : undefined,
      withContactDetails: raw.contact !== undefined && raw.contact !== null,
      withCarDetails: raw.car !== undefined && raw.car !== null,
      outcome: 'created',
    };
    creationRequests.push(record);
    const held = creationLatency.find((l) => l.remaining > 0);
    if (held) held.remaining -= 1;
    const answer = (status: number, payload: unknown) => {
      const send = () => void res.status(status).json(payload);
      if (held) setTimeout(send, held.latencyMs);
      else send();
    };
    const outcome = create(raw);
    if ('code' in outcome) {
      record.outcome = outcome.code;
      return answer(outcome.status, {
        status_code: outcome.status,
        error_code: outcome.code,
        message: outcome.message,
        ...(outcome.errors ? { errors: outcome.errors } : {}),
      });
    }
    record.bookingId = outcome.id;
    answer(201, view(outcome));
  });

  function create(raw: Record<string, unknown>): StoredBooking | Refusal {
    const parsed = BookingRequest.safeParse(raw);
    const errors = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    if (!parsed.success) return invalid(errors);
    const req = parsed.data;
    if (!req.contact && !req.contact_id) errors.push('contact: contact or contact_id is required');
    if (!req.car && !req.car_id) errors.push('car: car or car_id is required');
    for (const code of req.services)
      if (!(SERVICE_CODES as readonly string[]).includes(code)) errors.push(`services: unknown service code ${code}`);
    if (new Set(req.services).size !== req.services.length) errors.push('services: each service at most once');
    const phone = req.contact ? toE164(req.contact.phone, 'FR') : undefined;
    if (req.contact && !phone) errors.push('contact.phone: invalid phone number');
    if (errors.length) return invalid(errors);
    const zone = zoneById(req.zone_id);
    if (!zone) return { status: 404, code: ERROR_CODES.ZoneNotFound, message: `zone ${req.zone_id} not found` };
    const p = period(zone, req.start_at, req.end_at);
    if (isRefusal(p)) return p;
    if (!req.contact && !contacts.has(req.contact_id!))
      return { status: 422, code: ERROR_CODES.ContactNotFound, message: `contact ${req.contact_id} not found` };
    if (!req.car && !cars.has(req.car_id!)) return { status: 422, code: ERROR_CODES.CarNotFound, message: `car ${req.car_id} not found` };
    const lacking = req.services.filter((code) => zone.services[code as keyof ZoneDefinition['services']] === undefined);
    if (lacking.length)
      return { status: 422, code: ERROR_CODES.NotAvailable, message: `${lacking.join(', ')} is not available at ${zone.name}` };
    if (unavailable.has(zone.id))
      return { status: 422, code: ERROR_CODES.NotAvailable, message: `no room at ${zone.name} for these dates` };

    let contactId = req.contact_id!;
    if (req.contact) {
      contactId = newId('C');
      contacts.set(contactId, { id: contactId, ...req.contact, phone: phone! });
    }
    let carId = req.car_id!;
    if (req.car) {
      carId = newId('V');
      cars.set(carId, { id: carId, ...req.car });
    }
    const servicesMinor = req.services.reduce((sum, code) => sum + zone.services[code as keyof ZoneDefinition['services']]!, 0);
    const booking: StoredBooking = {
      id: newId('B'),
      status: 'pending_payment',
      zoneId: zone.id,
      startMs: p.startMs,
      endMs: p.endMs,
      createdMs: Math.floor(clock.now() / 1000) * 1000,
      contactId,
      carId,
      services: req.services,
      totalMinor: parkingMinor(zone, p.startMs, p.endMs) + servicesMinor,
      currency: zone.currency,
      partnerReference: req.partner_reference,
    };
    bookings.set(booking.id, booking);
    return booking;
  }

  app.get('/v3/bookings', (req, res) => {
    const reference = req.query.partner_reference;
    if (typeof reference !== 'string' || !reference) return fail(res, invalid(['partner_reference: required']));
    res.json([...bookings.values()].filter((b) => b.partnerReference === reference).map(view));
  });

  const found = (req: Request, res: Response): StoredBooking | undefined => {
    const booking = bookings.get(String(req.params.id));
    if (!booking) fail(res, { status: 404, code: ERROR_CODES.BookingNotFound, message: `booking ${String(req.params.id)} not found` });
    return booking;
  };

  app.get('/v3/bookings/:id', (req, res) => {
    const booking = found(req, res);
    if (booking) res.json(view(booking));
  });

  app.post('/v3/bookings/:id/pay', (req, res) => {
    const booking = found(req, res);
    if (!booking) return;
    if (booking.status === 'paid') return fail(res, { status: 409, code: ERROR_CODES.AlreadyPaid, message: 'the booking is already paid' });
    if (booking.status === 'cancelled')
      return fail(res, { status: 409, code: ERROR_CODES.NotPayable, message: 'a cancelled booking cannot be paid' });
    if (expired(booking))
      return fail(res, {
        status: 422,
        code: ERROR_CODES.PaymentWindowClosed,
        message: `a booking cannot be paid later than ${Math.round(settings.paymentWindowSeconds / 60)} minutes after its creation`,
      });
    booking.status = 'paid';
    booking.paidMs = clock.now();
    res.json(view(booking));
  });

  app.post('/v3/bookings/:id/cancel', (req, res) => {
    const booking = found(req, res);
    if (!booking) return;
    if (booking.status === 'cancelled') return void res.json(view(booking));
    if (!booking.services.includes('cancellation_insurance'))
      return fail(res, {
        status: 422,
        code: ERROR_CODES.CancellationNotAllowed,
        message: 'only bookings with cancellation_insurance can be cancelled',
      });
    if (clock.now() >= booking.startMs)
      return fail(res, {
        status: 422,
        code: ERROR_CODES.CancellationNotAllowed,
        message: 'the booking has started: it can no longer be cancelled',
      });
    booking.status = 'cancelled';
    booking.cancelledMs = clock.now();
    res.json(view(booking));
  });

  // Controls.
  app.post('/__sandbox/rotate-key', (req, res) => {
    const key = req.body?.key;
    if (typeof key !== 'string' || !key) return void res.status(400).json({ error: 'key must be a non-empty string' });
    apiKey = key;
    res.status(204).end();
  });
  app.post('/__sandbox/wipe', (_req, res) => {
    wipe();
    res.status(204).end();
  });
  app.post('/__sandbox/availability', (req, res) => {
    const zone = zoneById(req.body?.zoneId);
    if (!zone || typeof req.body?.available !== 'boolean')
      return void res.status(400).json({ error: 'zoneId must be a known zone and available a boolean' });
    if (req.body.available) unavailable.delete(zone.id);
    else unavailable.add(zone.id);
    res.json({ zoneId: zone.id, available: !unavailable.has(zone.id) });
  });
  app.post('/__sandbox/settings', (req, res) => {
    const seconds = Number(req.body?.paymentWindowSeconds);
    if (req.body?.paymentWindowSeconds !== undefined) {
      if (!Number.isFinite(seconds) || seconds <= 0) return void res.status(400).json({ error: 'paymentWindowSeconds must be positive' });
      settings.paymentWindowSeconds = seconds;
    }
    res.json(settings);
  });
  app.post('/__sandbox/creation-latency', (req, res) => {
    const latencyMs = Number(req.body?.latencyMs);
    const times = req.body?.times === undefined ? 1 : Number(req.body.times);
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || !Number.isSafeInteger(times) || times < 1)
      return void res.status(400).json({ error: 'latencyMs must be a non-negative number and times a positive integer' });
    creationLatency.push({ latencyMs, remaining: times });
    res.status(204).end();
  });
  app.get('/__sandbox/bookings', (_req, res) => {
    const byReference = new Map<string, number>();
    for (const r of creationRequests)
      if (r.partnerReference) byReference.set(r.partnerReference, (byReference.get(r.partnerReference) ?? 0) + 1);
    res.json({
      bookings: [...bookings.values()].map((b) => ({
        ...view(b),
        creationRequests: b.partnerReference ? (byReference.get(b.partnerReference) ?? 0) : undefined,
      })),
      requestsByReference: Object.fromEntries(byReference),
      requests: creationRequests,
    });
  });

  // A body that is not JSON: Ector's error shape, not Express's page.
  app.use((err: { type?: string; status?: number }, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/v3') || err.type !== 'entity.parse.failed') return next(err);
    fail(res, invalid(['body: not valid JSON']));
  });

  const rotateKey = (key: string) => void (apiKey = key);
  return { ...sandbox, settings, zones: ZONES, bookings, contacts, cars, creationRequests, unavailable, rotateKey, wipe, view };
}
