import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { BookingAnswer, BookingsAnswer, QuoteAnswer, ZonesAnswer } from '../src/activities/ector/wire';
import { createEctorSandbox, type EctorSandbox } from '../src/sandbox/ector/app';

// The Ector simulator on its own (supertest): the seed's headers, errors, zones, quotes, time
// zones, bookings, payment window, cancellation, the nightly wipe and persistence.

const KEY = 'test-ector-key';
const YEAR = new Date().getUTCFullYear() + 1;
/** Next year's `MM-DDTHH:mm` (naive: the zone's local time). */
const at = (monthDayTime: string) => `${YEAR}-${monthDayTime}`;
/** The last Sunday of a month next year (the EU's DST changes). */
const lastSunday = (month: number) => {
  const last = new Date(Date.UTC(YEAR, month, 0));
  return String(last.getUTCDate() - last.getUTCDay()).padStart(2, '0');
};

let sandbox: EctorSandbox;
beforeEach(() => {
  sandbox = createEctorSandbox({ apiKey: KEY });
});

const get = (url: string, key = KEY, env: string | null = 'production') => {
  const req = request(sandbox.app).get(url).set('X-ECTOR-AUTHENTICATION', key);
  return env === null ? req : req.set('X-ECTOR-ENVIRONMENT', env);
};
const post = (url: string, body: object = {}, key = KEY) =>
  request(sandbox.app).post(url).set('X-ECTOR-AUTHENTICATION', key).set('X-ECTOR-ENVIRONMENT', 'production').send(body);
const control = (url: string, body: object = {}) => request(sandbox.app).post(`/__sandbox/${url}`).send(body);

const contact = { first_name: 'Camille', last_name: 'Martin', email: 'camille@example.com', phone: '06 12 34 56 78' };
const car = { plate: 'AB-123-CD', brand: 'Renault', model: 'Clio', color: 'blue' };
const bookingBody = (extra: object = {}) => ({
  zone_id: 'CDG',
  start_at: at('07-23T18:05'),
  end_at: at('07-30T09:00'),
  services: [] as string[],
  contact,
  car,
  partner_reference: 'journey-1',
  ...extra,
});

describe('every /v3 call', () => {
  test('X-ECTOR-ENVIRONMENT must be "production" (any case), even with a good key', async () => {
    const missing = await get('/v3/zones', KEY, null);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ status_code: 400, error_code: 'INVALID_ENVIRONMENT' });
    expect((await get('/v3/zones', KEY, 'sandbox')).status).toBe(400);
    expect((await get('/v3/zones', KEY, 'PRODUCTION')).status).toBe(200);
    expect((await get('/v3/zones', KEY, 'Production')).status).toBe(200);
  });

  test('a wrong or missing key is 401 INVALID_API_KEY; after rotation the old key is refused and the new one taken', async () => {
    const wrong = await get('/v3/zones', 'not-the-key');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ status_code: 401, error_code: 'INVALID_API_KEY' });
    expect((await request(sandbox.app).get('/v3/zones').set('X-ECTOR-ENVIRONMENT', 'production')).status).toBe(401);
    expect((await control('rotate-key', { key: 'rotated-key' })).status).toBe(204);
    expect((await get('/v3/zones')).status).toBe(401);
    expect((await get('/v3/zones', 'rotated-key')).status).toBe(200);
    sandbox.rotateKey('third-key');
    expect((await get('/v3/zones', 'rotated-key')).status).toBe(401);
    expect((await get('/v3/zones', 'third-key')).status).toBe(200);
  });

  test('an error body has exactly status_code, error_code, message (and errors for validation)', async () => {
    const notFound = await get('/v3/bookings/B-NOPE');
    expect(notFound.status).toBe(404);
    expect(Object.keys(notFound.body).sort()).toEqual(['error_code', 'message', 'status_code']);
    expect(notFound.body).toMatchObject({ status_code: 404, error_code: 'BOOKING_NOT_FOUND' });
    const invalid = await post('/v3/bookings', bookingBody({ contact: { ...contact, phone: '06 12' } }));
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body).sort()).toEqual(['error_code', 'errors', 'message', 'status_code']);
    expect(invalid.body.errors).toEqual(['contact.phone: invalid phone number']);
    const notJson = await request(sandbox.app)
      .post('/v3/bookings')
      .set('X-ECTOR-AUTHENTICATION', KEY)
      .set('X-ECTOR-ENVIRONMENT', 'production')
      .set('content-type', 'application/json')
      .send('{"zone_id":');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toEqual({
      status_code: 400,
      error_code: 'VALIDATION_ERROR',
      message: expect.any(String),
      errors: ['body: not valid JSON'],
    });
  });
});

describe('zones and quotes', () => {
  test('zones carry their time zone and covered_parking (with its price) where they have it', async () => {
    const res = await get('/v3/zones');
    const zones = ZonesAnswer.parse(res.body);
    const byId = Object.fromEntries(zones.map((z) => [z.id, z]));
    expect(Object.keys(byId).sort()).toEqual(['CDG', 'LYS-PART-DIEU', 'NCE', 'ORY', 'RUN']);
    expect(byId.CDG).toMatchObject({ type: 'airport', timezone: 'Europe/Paris' });
    expect(byId.CDG!.available_services).toEqual([
      { code: 'covered_parking', price: { amount: '15.00', currency: 'EUR' } },
      { code: 'cancellation_insurance', price: { amount: '9.90', currency: 'EUR' } },
    ]);
    expect(byId.NCE!.available_services.map((s) => s.code)).toEqual(['cancellation_insurance']);
    expect(byId['LYS-PART-DIEU']).toMatchObject({ type: 'station' });
    expect(byId.RUN).toMatchObject({ timezone: 'Indian/Reunion' });
  });

  test('a quote: started days × the daily price (one day at least), covered_parking offered where the zone has it', async () => {
    const week = QuoteAnswer.parse((await get(`/v3/quotes?zone_id=CDG&start_at=${at('07-23T18:05')}&end_at=${at('07-30T09:00')}`)).body);
    // 7 started days × 19.90
    expect(week).toMatchObject({ zone_id: 'CDG', available: true, price: { amount: '139.30', currency: 'EUR' } });
    expect(week.available_services.map((s) => s.code)).toContain('covered_parking');
    const hour = QuoteAnswer.parse((await get(`/v3/quotes?zone_id=NCE&start_at=${at('07-23T10:00')}&end_at=${at('07-23T11:00')}`)).body);
    expect(hour.price.amount).toBe('16.90');
    expect(hour.available_services.map((s) => s.code)).toEqual(['cancellation_insurance']);
  });

  test('times in the answer are the zone’s local time: 16:05Z is 18:05+02:00 in Paris and 20:05+04:00 at La Réunion', async () => {
    const q = (zone: string) => get(`/v3/quotes?zone_id=${zone}&start_at=${at('07-23T16:05:00Z')}&end_at=${at('07-24T16:05:00Z')}`);
    expect((await q('CDG')).body).toMatchObject({ start_at: at('07-23T18:05:00+02:00'), end_at: at('07-24T18:05:00+02:00') });
    expect((await q('RUN')).body).toMatchObject({ start_at: at('07-23T20:05:00+04:00') });
    // A naive time is the zone's own: 18:05 in Paris and 18:05 at La Réunion are not the same instant.
    const naive = await get(`/v3/quotes?zone_id=RUN&start_at=${at('07-23T18:05')}&end_at=${at('07-24T18:05')}`);
    expect(naive.body.start_at).toBe(at('07-23T18:05:00+04:00'));
    const offset = encodeURIComponent(at('07-23T18:05:00+02:00'));
    expect((await get(`/v3/quotes?zone_id=CDG&start_at=${offset}&end_at=${at('07-24T18:05')}`)).body.start_at).toBe(
      at('07-23T18:05:00+02:00'),
    );
  });

  test('a naive time the clocks skip is a 400 naming the field; the repeated autumn hour is its first occurrence', async () => {
    const spring = lastSunday(3);
    const gap = await get(`/v3/quotes?zone_id=CDG&start_at=${at(`03-${spring}T02:30`)}&end_at=${at(`03-${spring}T12:00`)}`);
    expect(gap.status).toBe(400);
    expect(gap.body).toMatchObject({ error_code: 'VALIDATION_ERROR', errors: [expect.stringMatching(/^start_at: /)] });
    const autumn = lastSunday(10);
    const repeated = await get(`/v3/quotes?zone_id=CDG&start_at=${at(`10-${autumn}T02:30`)}&end_at=${at(`10-${autumn}T12:00`)}`);
    expect(repeated.body.start_at).toBe(at(`10-${autumn}T02:30:00+02:00`));
  });

  test('quote refusals: unknown zone 404, unparseable 400, in the past or end ≤ start 422, a full zone not available', async () => {
    expect((await get(`/v3/quotes?zone_id=XXX&start_at=${at('07-23T10:00')}&end_at=${at('07-24T10:00')}`)).body).toMatchObject({
      status_code: 404,
      error_code: 'ZONE_NOT_FOUND',
    });
    const bad = await get(`/v3/quotes?zone_id=CDG&start_at=soon&end_at=${at('07-24T10:00')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/^start_at: /);
    expect((await get('/v3/quotes?zone_id=CDG')).body.errors).toEqual(['start_at: required', 'end_at: required']);
    const past = await get(`/v3/quotes?zone_id=CDG&start_at=2020-01-01T10:00&end_at=2020-01-02T10:00`);
    expect(past.status).toBe(422);
    expect(past.body.error_code).toBe('INVALID_DATES');
    expect((await get(`/v3/quotes?zone_id=CDG&start_at=${at('07-24T10:00')}&end_at=${at('07-24T10:00')}`)).body.error_code).toBe(
      'INVALID_DATES',
    );
    expect((await control('availability', { zoneId: 'ORY', available: false })).body).toEqual({ zoneId: 'ORY', available: false });
    const full = await get(`/v3/quotes?zone_id=ORY&start_at=${at('07-23T10:00')}&end_at=${at('07-24T10:00')}`);
    expect(full.body).toMatchObject({ available: false, price: { amount: '17.90' } });
    const refused = await post('/v3/bookings', bookingBody({ zone_id: 'ORY' }));
    expect(refused.status).toBe(422);
    expect(refused.body.error_code).toBe('NOT_AVAILABLE');
  });
});

describe('bookings', () => {
  test('created pending_payment with new contact and car ids, the phone in E.164, times and created_at in zone time', async () => {
    const res = await post('/v3/bookings', bookingBody({ services: ['covered_parking', 'cancellation_insurance'] }));
    expect(res.status).toBe(201);
    const booking = BookingAnswer.parse(res.body);
    expect(booking).toMatchObject({
      status: 'pending_payment',
      zone_id: 'CDG',
      start_at: at('07-23T18:05:00+02:00'),
      services: ['covered_parking', 'cancellation_insurance'],
      total: { amount: '164.20', currency: 'EUR' }, // 139.30 + 15.00 + 9.90
      partner_reference: 'journey-1',
    });
    expect(booking.created_at).toMatch(/\+0[12]:00$/);
    expect(Math.abs(Date.parse(booking.created_at) - Date.now())).toBeLessThan(2000);
    expect(sandbox.contacts.get(booking.contact_id)).toMatchObject({ phone: '+33612345678', email: 'camille@example.com' });
    expect(sandbox.cars.get(booking.car_id)).toMatchObject({ plate: 'AB-123-CD' });
    expect((await get(`/v3/bookings/${booking.id}`)).body).toEqual(res.body);
  });

  test('validation: every error is "field: message"; unknown service 400; a service the zone lacks 422 NOT_AVAILABLE', async () => {
    const missing = await post('/v3/bookings', { zone_id: 'CDG', start_at: at('07-23T10:00'), end_at: at('07-24T10:00') });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(['contact: contact or contact_id is required', 'car: car or car_id is required']);
    const unknown = await post('/v3/bookings', bookingBody({ services: ['valet'] }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual(['services: unknown service code valet']);
    const email = await post('/v3/bookings', bookingBody({ contact: { ...contact, email: '' } }));
    expect(email.body.errors).toEqual([expect.stringMatching(/^contact\.email: /)]);
    const covered = await post('/v3/bookings', bookingBody({ zone_id: 'NCE', services: ['covered_parking'] }));
    expect(covered.status).toBe(422);
    expect(covered.body.error_code).toBe('NOT_AVAILABLE');
    expect((await post('/v3/bookings', bookingBody({ zone_id: 'NOPE' }))).status).toBe(404);
    expect((await post('/v3/bookings', bookingBody({ start_at: '2020-01-01T10:00' }))).body.error_code).toBe('INVALID_DATES');
  });

  test('phones: E.164 taken, a French national number converted, a Romanian one kept, an invalid one refused', async () => {
    const phoneOf = async (phone: string) => {
      const res = await post('/v3/bookings', bookingBody({ contact: { ...contact, phone } }));
      return sandbox.contacts.get(res.body.contact_id)?.phone;
    };
    expect(await phoneOf('+33612345678')).toBe('+33612345678');
    expect(await phoneOf('0612345678')).toBe('+33612345678');
    expect(await phoneOf('+40 721 234 567')).toBe('+40721234567');
    const invalid = await post('/v3/bookings', bookingBody({ contact: { ...contact, phone: 'call me' } }));
    expect(invalid.body).toMatchObject({
      status_code: 400,
      error_code: 'VALIDATION_ERROR',
      errors: ['contact.phone: invalid phone number'],
    });
  });

  test('contact_id and car_id are reusable; unknown ids are 422; the nightly wipe makes known ids unknown', async () => {
    const first = (await post('/v3/bookings', bookingBody())).body;
    const reuse = { contact: undefined, car: undefined, contact_id: first.contact_id, car_id: first.car_id };
    const second = await post('/v3/bookings', bookingBody(reuse));
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ contact_id: first.contact_id, car_id: first.car_id });
    expect((await post('/v3/bookings', bookingBody({ contact: undefined, contact_id: 'C-NOPE' }))).body.error_code).toBe(
      'CONTACT_NOT_FOUND',
    );
    expect((await post('/v3/bookings', bookingBody({ car: undefined, car_id: 'V-NOPE' }))).body).toMatchObject({
      status_code: 422,
      error_code: 'CAR_NOT_FOUND',
    });

    expect((await control('wipe')).status).toBe(204);
    expect((await get(`/v3/bookings/${first.id}`)).status).toBe(404);
    const afterWipe = await post('/v3/bookings', bookingBody(reuse));
    expect(afterWipe.status).toBe(422);
    expect(afterWipe.body.error_code).toBe('CONTACT_NOT_FOUND');
    expect(
      (await post('/v3/bookings', bookingBody({ contact_id: first.contact_id, car: undefined, car_id: first.car_id }))).body.error_code,
    ).toBe('CAR_NOT_FOUND');
    const requests = sandbox.creationRequests.map((r) => [r.outcome, r.withContactDetails, r.contactId ?? null]);
    expect(requests.slice(0, 2)).toEqual([
      ['created', true, null],
      ['created', false, first.contact_id],
    ]);
  });

  test('no deduplication: the same body twice is two bookings, both found by partner_reference and counted by the control', async () => {
    const a = await post('/v3/bookings', bookingBody({ partner_reference: 'dup' }));
    const b = await post('/v3/bookings', bookingBody({ partner_reference: 'dup' }));
    expect(a.body.id).not.toBe(b.body.id);
    const found = BookingsAnswer.parse((await get('/v3/bookings?partner_reference=dup')).body);
    expect(found.map((x) => x.id).sort()).toEqual([a.body.id, b.body.id].sort());
    expect((await get('/v3/bookings?partner_reference=other')).body).toEqual([]);
    expect((await get('/v3/bookings')).status).toBe(400);
    const ledger = (await request(sandbox.app).get('/__sandbox/bookings')).body;
    expect(ledger.requestsByReference).toEqual({ dup: 2 });
    expect(ledger.bookings.map((x: { creationRequests: number }) => x.creationRequests)).toEqual([2, 2]);
  });
});

describe('payment window and cancellation', () => {
  test('pay within the window → paid; twice → 409 BOOKING_ALREADY_PAID', async () => {
    const { id } = (await post('/v3/bookings', bookingBody())).body;
    sandbox.clock.advance(59 * 60_000);
    const paid = await post(`/v3/bookings/${id}/pay`);
    expect(paid.status).toBe(200);
    expect(BookingAnswer.parse(paid.body).status).toBe('paid');
    const again = await post(`/v3/bookings/${id}/pay`);
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe('BOOKING_ALREADY_PAID');
  });

  test('61 minutes after creation: shown expired, pay refused 422 BOOKING_EXPIRED; the window is a setting', async () => {
    const { id } = (await post('/v3/bookings', bookingBody())).body;
    expect((await control('clock', { advanceSeconds: 61 * 60 })).status).toBe(200);
    expect((await get(`/v3/bookings/${id}`)).body.status).toBe('expired');
    const late = await post(`/v3/bookings/${id}/pay`);
    expect(late.status).toBe(422);
    expect(late.body).toMatchObject({ status_code: 422, error_code: 'BOOKING_EXPIRED' });

    expect((await control('settings', { paymentWindowSeconds: 120 })).body).toEqual({ paymentWindowSeconds: 120 });
    const short = (await post('/v3/bookings', bookingBody())).body;
    sandbox.clock.advance(121_000);
    expect((await post(`/v3/bookings/${short.id}/pay`)).body.error_code).toBe('BOOKING_EXPIRED');
    const windowed = createEctorSandbox({ apiKey: KEY, paymentWindowSeconds: 30 });
    expect(windowed.settings.paymentWindowSeconds).toBe(30);
  });

  test('cancel: only insured, only before the start; a cancelled booking answers as it is and cannot be paid', async () => {
    const plain = (await post('/v3/bookings', bookingBody())).body;
    const refused = await post(`/v3/bookings/${plain.id}/cancel`);
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      status_code: 422,
      error_code: 'CANCELLATION_NOT_ALLOWED',
      message: 'only bookings with cancellation_insurance can be cancelled',
    });
    const insured = (await post('/v3/bookings', bookingBody({ services: ['cancellation_insurance'] }))).body;
    await post(`/v3/bookings/${insured.id}/pay`);
    const cancelled = await post(`/v3/bookings/${insured.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await post(`/v3/bookings/${insured.id}/cancel`)).body).toEqual(cancelled.body);
    expect((await post(`/v3/bookings/${insured.id}/pay`)).body).toMatchObject({ status_code: 409, error_code: 'BOOKING_NOT_PAYABLE' });

    const soon = (
      await post(
        '/v3/bookings',
        bookingBody({ services: ['cancellation_insurance'], start_at: new Date(Date.now() + 3600_000).toISOString() }),
      )
    ).body;
    sandbox.clock.advance(2 * 3600_000);
    const started = await post(`/v3/bookings/${soon.id}/cancel`);
    expect(started.status).toBe(422);
    expect(started.body.error_code).toBe('CANCELLATION_NOT_ALLOWED');
    expect((await post('/v3/bookings/B-NOPE/cancel')).status).toBe(404);
  });
});

describe('persistence', () => {
  test('bookings, contacts, cars, the clock and the request log survive a restart with a data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ector-sim-'));
    try {
      sandbox = createEctorSandbox({ apiKey: KEY, dataDir });
      const created = (await post('/v3/bookings', bookingBody())).body;
      await control('availability', { zoneId: 'NCE', available: false });
      sandbox.clock.advance(10 * 60_000);
      await post(`/v3/bookings/${created.id}/pay`);

      sandbox = createEctorSandbox({ apiKey: KEY, dataDir });
      expect(sandbox.clock.offsetMs).toBe(10 * 60_000);
      expect((await get(`/v3/bookings/${created.id}`)).body).toMatchObject({ id: created.id, status: 'paid' });
      const reused = await post(
        '/v3/bookings',
        bookingBody({ contact: undefined, car: undefined, contact_id: created.contact_id, car_id: created.car_id }),
      );
      expect(reused.status).toBe(201);
      expect(sandbox.creationRequests).toHaveLength(2);
      expect(sandbox.unavailable.has('NCE')).toBe(true);

      await control('reset');
      sandbox = createEctorSandbox({ apiKey: KEY, dataDir });
      expect((await get(`/v3/bookings/${created.id}`)).status).toBe(404);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
