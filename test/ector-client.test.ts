import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEctorActivities } from '../src/activities/ector/activities';
import { type BookingRequest } from '../src/activities/ector/booking';
import { EctorClient } from '../src/activities/ector/client';
import { FailureType } from '../src/domain/failures';
import { createEctorSandbox, type EctorSandbox } from '../src/sandbox/ector/app';
import { listen, type Listening } from '../src/sandbox/harness';
import { failure } from './support/failure';

// The Ector client and activities against the simulator, behind a recorder that notes every
// request (method, URL, headers) before the simulator serves it.

const KEY = 'client-test-ector-key';
const YEAR = new Date().getUTCFullYear() + 1;
const at = (monthDayTime: string) => `${YEAR}-${monthDayTime}`;

let sandbox: EctorSandbox;
let server: Listening;
let providerKey: string;
let client: EctorClient;
let seen: Array<{ method: string; url: string; key?: string; environment?: string }>;

beforeAll(async () => {
  sandbox = createEctorSandbox({ apiKey: KEY });
  const recorder = express();
  recorder.use((req, _res, next) => {
    seen.push({ method: req.method, url: req.url, key: req.get('x-ector-authentication'), environment: req.get('x-ector-environment') });
    next();
  });
  recorder.use(sandbox.app);
  server = await listen(recorder, 0);
});
afterAll(() => server.close());
beforeEach(async () => {
  await fetch(`${server.url}/__sandbox/reset`, { method: 'POST' });
  seen = [];
  providerKey = KEY;
  client = new EctorClient({ baseUrl: server.url, apiKey: () => providerKey, timeoutMs: 2000 });
});

const v3 = () => seen.filter((r) => r.url.startsWith('/v3'));
const control = (url: string, body: object = {}) =>
  fetch(`${server.url}/__sandbox/${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const wireBooking = (extra: object = {}) => ({
  zone_id: 'CDG',
  start_at: at('07-23T18:05:00+02:00'),
  end_at: at('07-30T09:00:00+02:00'),
  services: ['cancellation_insurance'],
  contact: { first_name: 'Camille', last_name: 'Martin', email: 'camille@example.com', phone: '+33612345678' },
  car: { plate: 'AB-123-CD' },
  partner_reference: 'ref-1',
  ...extra,
});

const journeyBooking = (extra: Partial<BookingRequest> = {}): BookingRequest => ({
  zoneId: 'CDG',
  timeZone: 'Europe/Paris',
  startAt: at('07-23T16:05:00Z'),
  endAt: at('07-30T09:00'),
  services: ['cancellation_insurance'],
  contact: { firstName: 'Camille', lastName: 'Martin', email: 'Camille@Example.com', phone: '06 12 34 56 78' },
  car: { plate: 'ab-123-cd', brand: 'Renault', model: 'Clio' },
  ...extra,
});

describe('EctorClient', () => {
  test('every method parses its answer into parkflow types, with both headers on every call', async () => {
    const zones = await client.listZones();
    expect(zones.find((z) => z.id === 'CDG')).toEqual({
      id: 'CDG',
      name: 'Paris-Charles de Gaulle',
      type: 'airport',
      address: expect.any(String),
      timeZone: 'Europe/Paris',
      services: [
        { code: 'covered_parking', price: { value: '15.00', currency: 'EUR' } },
        { code: 'cancellation_insurance', price: { value: '9.90', currency: 'EUR' } },
      ],
    });
    expect(zones.find((z) => z.id === 'RUN')?.timeZone).toBe('Indian/Reunion');

    const quote = await client.quote({ zoneId: 'RUN', startAt: at('07-23T16:05:00Z'), endAt: at('07-25T16:05:00Z') });
    expect(quote).toEqual({
      zoneId: 'RUN',
      startAt: at('07-23T20:05:00+04:00'),
      endAt: at('07-25T20:05:00+04:00'),
      available: true,
      price: { value: '25.80', currency: 'EUR' },
      services: [{ code: 'cancellation_insurance', price: { value: '6.90', currency: 'EUR' } }],
    });

    const created = await client.createBooking(wireBooking());
    expect(created.contactId).toMatch(/^C/);
    expect(created.carId).toMatch(/^V/);
    expect(created.booking).toEqual({
      id: expect.any(String),
      status: 'pending_payment',
      zoneId: 'CDG',
      startAt: at('07-23T18:05:00+02:00'),
      endAt: at('07-30T09:00:00+02:00'),
      createdAt: expect.stringMatching(/\+0[12]:00$/),
      services: ['cancellation_insurance'],
      insured: true,
      total: { value: '149.20', currency: 'EUR' },
    });
    const id = created.booking.id;
    expect(await client.getBooking(id)).toEqual(created.booking);
    expect(await client.findBookings('ref-1')).toEqual([created.booking]);
    expect(await client.findBookings('nobody')).toEqual([]);
    expect((await client.payBooking(id)).status).toBe('paid');
    expect(await client.cancelBooking(id)).toMatchObject({ id, status: 'cancelled', insured: true });

    expect(v3().length).toBe(8);
    expect(v3().every((r) => r.key === KEY && r.environment === 'production')).toBe(true);
  });

  test('Ector refusals map to typed failures: 400 names the field, 404 not found, 409/422 carry the error_code', async () => {
    const phone = await failure(client.createBooking(wireBooking({ contact: { ...wireBooking().contact, phone: '06 12' } })));
    expect(phone).toMatchObject({ type: FailureType.UpstreamRejected, nonRetryable: true });
    expect(phone.details).toEqual([{ status: 400, code: 'VALIDATION_ERROR', field: 'contact.phone' }]);
    expect(phone.message).toContain('contact.phone: invalid phone number');

    const missing = await failure(client.getBooking('B-NOPE'));
    expect(missing).toMatchObject({ type: FailureType.UpstreamNotFound, nonRetryable: true });
    expect(missing.details).toEqual([{ status: 404, code: 'BOOKING_NOT_FOUND' }]);
    expect((await failure(client.quote({ zoneId: 'XXX', startAt: at('07-23T10:00'), endAt: at('07-24T10:00') }))).type).toBe(
      FailureType.UpstreamNotFound,
    );

    const dates = await failure(client.quote({ zoneId: 'CDG', startAt: '2020-01-01T10:00', endAt: '2020-01-02T10:00' }));
    expect(dates).toMatchObject({
      type: FailureType.UpstreamRejected,
      details: [expect.objectContaining({ status: 422, code: 'INVALID_DATES' })],
    });
    const contact = await failure(client.createBooking(wireBooking({ contact: undefined, contact_id: 'C-GONE' })));
    expect(contact.details).toEqual([expect.objectContaining({ status: 422, code: 'CONTACT_NOT_FOUND' })]);

    const { booking } = await client.createBooking(wireBooking());
    await client.payBooking(booking.id);
    const twice = await failure(client.payBooking(booking.id));
    expect(twice).toMatchObject({
      type: FailureType.UpstreamRejected,
      details: [expect.objectContaining({ status: 409, code: 'BOOKING_ALREADY_PAID' })],
    });

    const late = (await client.createBooking(wireBooking())).booking;
    sandbox.clock.advance(61 * 60_000);
    const expired = await failure(client.payBooking(late.id));
    expect(expired).toMatchObject({ type: FailureType.PaymentWindowClosed, nonRetryable: true });
    expect(expired.details).toEqual([expect.objectContaining({ status: 422, code: 'BOOKING_EXPIRED' })]);
  });

  test('a rotated key is taken without a restart: read at every call from its file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ector-key-'));
    try {
      const file = path.join(dir, 'ector-api-key');
      writeFileSync(file, `${KEY}\n`);
      const fromFile = new EctorClient({ baseUrl: server.url, apiKey: () => readFileSync(file, 'utf8'), timeoutMs: 2000 });
      expect((await fromFile.listZones()).length).toBe(5);
      await control('rotate-key', { key: 'renewed-key' });
      writeFileSync(file, 'renewed-key\n');
      expect((await fromFile.listZones()).length).toBe(5);
      expect(v3().map((r) => r.key)).toEqual([KEY, 'renewed-key']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a 401 re-reads the key once: a different key is tried once and the call succeeds', async () => {
    await control('rotate-key', { key: 'renewed-key' });
    // The provider still has the old key on the first read (a secret not yet re-mounted), the new one after.
    const reads: string[] = [];
    const answers = [KEY, 'renewed-key'];
    const rotating = new EctorClient({
      baseUrl: server.url,
      apiKey: async () => {
        const key = answers[Math.min(reads.length, answers.length - 1)]!;
        reads.push(key);
        return key;
      },
      timeoutMs: 2000,
    });
    expect((await rotating.createBooking(wireBooking())).booking.status).toBe('pending_payment');
    expect(reads).toEqual([KEY, 'renewed-key']);
    expect(v3().map((r) => r.key)).toEqual([KEY, 'renewed-key']);
    expect(sandbox.bookings.size).toBe(1); // the 401 created nothing; the retry created one
  });

  test('a 401 with the current key (read again: the same) → CredentialRejected, its message free of the key', async () => {
    providerKey = 'this-secret-key-is-wrong';
    const rejected = await failure(client.listZones());
    expect(rejected).toMatchObject({ type: FailureType.CredentialRejected, nonRetryable: true });
    expect(rejected.message).toMatch(/ECTOR_API_KEY \/ ECTOR_API_KEY_FILE/);
    expect(JSON.stringify([rejected.message, rejected.details, rejected.stack])).not.toContain('this-secret-key-is-wrong');
    expect(v3()).toHaveLength(1);

    // A re-read key that is different but refused too: one more try, then CredentialRejected.
    let n = 0;
    const twoWrong = new EctorClient({ baseUrl: server.url, apiKey: () => `wrong-key-${n++}`, timeoutMs: 2000 });
    const again = await failure(twoWrong.listZones());
    expect(again.type).toBe(FailureType.CredentialRejected);
    expect(again.message).not.toMatch(/wrong-key-/);
    expect(v3()).toHaveLength(3);

    const unreadable = new EctorClient({
      baseUrl: server.url,
      apiKey: () => readFileSync('/nonexistent/ector-api-key', 'utf8'),
      timeoutMs: 2000,
    });
    expect(await failure(unreadable.listZones())).toMatchObject({ type: FailureType.CredentialRejected });
  });

  test('an answer of an unknown shape is a contract violation; 5xx and timeouts are retryable', async () => {
    await control('faults', { path: '/v3/zones', status: 200 });
    const malformed = await failure(client.listZones());
    expect(malformed).toMatchObject({ type: FailureType.UpstreamContractViolation, nonRetryable: true });

    await control('faults', { path: '/v3/bookings', status: 503 });
    const down = await failure(client.getBooking('B-1'));
    expect(down.type).toBe(FailureType.UpstreamUnavailable);
    expect(down.nonRetryable).toBeFalsy();

    await control('faults', { path: '/v3/bookings', status: 422 });
    expect((await failure(client.getBooking('B-1'))).type).toBe(FailureType.UpstreamRejected); // not Ector's error body

    const impatient = new EctorClient({ baseUrl: server.url, apiKey: () => KEY, timeoutMs: 200 });
    await control('faults', { path: '/v3/zones', hang: true });
    expect(await failure(impatient.listZones())).toMatchObject({
      type: FailureType.UpstreamUnavailable,
      message: expect.stringMatching(/200 ms/),
    });

    // A stub whose booking lacks its id and total: the schema says so.
    const stub = express();
    stub.get('/v3/bookings/:id', (_req, res) => void res.json({ status: 'paid', zone_id: 'CDG' }));
    const stubServer = await listen(stub, 0);
    try {
      const onStub = new EctorClient({ baseUrl: stubServer.url, apiKey: () => KEY, timeoutMs: 2000 });
      const violation = await failure(onStub.getBooking('B-1'));
      expect(violation.type).toBe(FailureType.UpstreamContractViolation);
      expect(violation.message).toMatch(/id/);
    } finally {
      await stubServer.close();
    }
  });
});

describe('Ector activities', () => {
  /** Activity context (the expected failures are not logged as warnings). */
  const env = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) => {
    const mock = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
    return { run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => mock.run(fn, ...args) };
  };

  test('quote: the journey’s times sent in the zone’s local time with their offset', async () => {
    const activities = createEctorActivities({ client });
    const quote = await env().run(activities.quoteEctorBooking, {
      zoneId: 'CDG',
      startAt: at('07-23T16:05:00Z'),
      endAt: at('07-24T18:05'),
    });
    expect(quote).toMatchObject({ zoneId: 'CDG', startAt: at('07-23T18:05:00+02:00'), available: true });
    const sent = new URL(v3().find((r) => r.url.startsWith('/v3/quotes'))!.url, server.url).searchParams;
    expect([sent.get('start_at'), sent.get('end_at')]).toEqual([at('07-23T18:05:00+02:00'), at('07-24T18:05:00+02:00')]);
    // Zones are cached for the day: a second quote asks for them no more.
    await env().run(activities.quoteEctorBooking, { zoneId: 'CDG', startAt: at('07-23T16:05:00Z'), endAt: at('07-24T18:05') });
    expect(v3().filter((r) => r.url === '/v3/zones')).toHaveLength(1);
    // A caller that knows the zone's time zone saves the look-up; La Réunion is +04:00.
    const reunion = await env().run(activities.quoteEctorBooking, {
      zoneId: 'RUN',
      timeZone: 'Indian/Reunion',
      startAt: at('07-23T18:05'),
      endAt: at('07-24T18:05'),
    });
    expect(reunion.startAt).toBe(at('07-23T18:05:00+04:00'));
    expect(v3().filter((r) => r.url === '/v3/zones')).toHaveLength(1);
  });

  test('create: the booking is created once when the answer is lost after Ector created it (a timeout), the retry finds it', async () => {
    const impatient = new EctorClient({ baseUrl: server.url, apiKey: () => KEY, timeoutMs: 300 });
    const activities = createEctorActivities({ client: impatient });
    const input = { reference: 'journey-timeout', booking: journeyBooking() };
    // Ector creates the booking at once but its answer comes after the client gave up.
    await control('creation-latency', { latencyMs: 800 });

    const first = await failure(env().run(activities.createEctorBooking, input));
    expect(first).toMatchObject({ type: FailureType.UpstreamUnavailable, message: expect.stringMatching(/no answer within 300 ms/) });
    expect(first.nonRetryable).toBeFalsy();
    expect(sandbox.bookings.size).toBe(1);

    const retried = await env({ attempt: 2 }).run(activities.createEctorBooking, input);
    const [only] = [...sandbox.bookings.values()];
    expect(retried.id).toBe(only!.id);
    expect(retried.status).toBe('pending_payment');
    const ledger = (await (await fetch(`${server.url}/__sandbox/bookings`)).json()) as {
      bookings: Array<{ partner_reference: string }>;
      requestsByReference: Record<string, number>;
    };
    expect(ledger.bookings.filter((b) => b.partner_reference === 'journey-timeout')).toHaveLength(1);
    expect(ledger.requestsByReference).toEqual({ 'journey-timeout': 1 });
  });

  test('create: times sent zone-local with their offset, the phone in E.164, the journey id as partner_reference', async () => {
    const activities = createEctorActivities({ client });
    const booking = await env().run(activities.createEctorBooking, { reference: 'journey-times', booking: journeyBooking() });
    expect(booking).toMatchObject({ status: 'pending_payment', startAt: at('07-23T18:05:00+02:00'), insured: true });
    const [request] = sandbox.creationRequests;
    expect(request).toMatchObject({
      partnerReference: 'journey-times',
      startAt: at('07-23T18:05:00+02:00'),
      endAt: at('07-30T09:00:00+02:00'),
      withContactDetails: true,
    });
    expect(sandbox.contacts.get(sandbox.bookings.get(booking.id)!.contactId)?.phone).toBe('+33612345678');
    expect(sandbox.cars.get(sandbox.bookings.get(booking.id)!.carId)?.plate).toBe('AB-123-CD');

    const gap = journeyBooking({ startAt: `${YEAR}-03-${lastSundayOfMarch()}T02:30` });
    const refused = await failure(env().run(activities.createEctorBooking, { reference: 'journey-gap', booking: gap }));
    expect(refused).toMatchObject({ type: FailureType.UpstreamRejected, nonRetryable: true, details: [{ field: 'start_at' }] });
  });

  test('create: an invalid phone is refused before Ector is called', async () => {
    const activities = createEctorActivities({ client });
    const booking = journeyBooking({ contact: { ...journeyBooking().contact, phone: '06 12' } });
    const refused = await failure(env().run(activities.createEctorBooking, { reference: 'journey-phone', booking }));
    expect(refused).toMatchObject({ type: FailureType.UpstreamRejected, nonRetryable: true, details: [{ field: 'contact.phone' }] });
    expect(v3().filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('create: contact and car ids reused for the same driver; after the nightly wipe the details resent in the same call', async () => {
    const activities = createEctorActivities({ client });
    const first = await env().run(activities.createEctorBooking, { reference: 'journey-a', booking: journeyBooking() });
    const stored = sandbox.bookings.get(first.id)!;
    // The same driver and car, written differently (E.164 phone, upper-case email and plate).
    const same = journeyBooking({
      contact: { firstName: 'Camille', lastName: 'Martin', email: 'CAMILLE@example.com', phone: '+33612345678' },
      car: { plate: 'AB-123-CD', brand: 'Renault', model: 'Clio' },
    });
    await env().run(activities.createEctorBooking, { reference: 'journey-b', booking: same });
    expect(sandbox.creationRequests[1]).toMatchObject({
      partnerReference: 'journey-b',
      contactId: stored.contactId,
      carId: stored.carId,
      withContactDetails: false,
      withCarDetails: false,
      outcome: 'created',
    });
    // Another car: its details, the contact by id.
    await env().run(activities.createEctorBooking, {
      reference: 'journey-c',
      booking: journeyBooking({ car: { plate: 'ZZ-999-ZZ' } }),
    });
    expect(sandbox.creationRequests[2]).toMatchObject({ contactId: stored.contactId, withCarDetails: true });

    await control('wipe');
    const afterWipe = await env().run(activities.createEctorBooking, { reference: 'journey-d', booking: journeyBooking() });
    expect(afterWipe.status).toBe('pending_payment');
    expect(sandbox.creationRequests.slice(3).map((r) => [r.outcome, r.withContactDetails, r.withCarDetails])).toEqual([
      ['CONTACT_NOT_FOUND', false, false],
      ['CAR_NOT_FOUND', true, false],
      ['created', true, true],
    ]);
    expect(sandbox.bookings.size).toBe(1);
    // The new ids are remembered.
    await env().run(activities.createEctorBooking, { reference: 'journey-e', booking: journeyBooking() });
    expect(sandbox.creationRequests.at(-1)).toMatchObject({ withContactDetails: false, withCarDetails: false, outcome: 'created' });
  });

  test('create: a journey whose booking was cancelled gets a new one; an existing live one is returned as it is', async () => {
    const activities = createEctorActivities({ client });
    const input = { reference: 'journey-again', booking: journeyBooking() };
    const first = await env().run(activities.createEctorBooking, input);
    expect((await env().run(activities.createEctorBooking, input)).id).toBe(first.id);
    await env().run(activities.cancelEctorBooking, { bookingId: first.id });
    const second = await env().run(activities.createEctorBooking, input);
    expect(second.id).not.toBe(first.id);
    expect(sandbox.creationRequests).toHaveLength(2);
  });

  test('pay: within the window → paid; twice → paid again (idempotent); after Ector’s window → PaymentWindowClosed', async () => {
    const activities = createEctorActivities({ client });
    const payBy = new Date(Date.now() + 3600_000).toISOString();
    const booking = await env().run(activities.createEctorBooking, { reference: 'journey-pay', booking: journeyBooking() });
    const paid = await env().run(activities.payEctorBooking, { bookingId: booking.id, payBy });
    expect(paid).toMatchObject({ id: booking.id, status: 'paid' });
    // An earlier try went through and its answer was lost: 409 ALREADY_PAID → Ector's record.
    expect(await env().run(activities.payEctorBooking, { bookingId: booking.id, payBy })).toEqual(paid);

    const late = await env().run(activities.createEctorBooking, { reference: 'journey-late', booking: journeyBooking() });
    sandbox.clock.advance(61 * 60_000);
    const closed = await failure(env().run(activities.payEctorBooking, { bookingId: late.id, payBy }));
    expect(closed).toMatchObject({ type: FailureType.PaymentWindowClosed, nonRetryable: true });
    expect((await client.getBooking(late.id)).status).toBe('expired');
  });

  test('pay: once payBy has passed locally, nothing is sent to Ector', async () => {
    const activities = createEctorActivities({ client });
    const booking = await env().run(activities.createEctorBooking, { reference: 'journey-deadline', booking: journeyBooking() });
    const before = v3().length;
    const passed = await failure(
      env().run(activities.payEctorBooking, { bookingId: booking.id, payBy: new Date(Date.now() - 1).toISOString() }),
    );
    expect(passed).toMatchObject({ type: FailureType.PaymentWindowClosed, nonRetryable: true });
    // The server's clock counts too: an attempt scheduled after payBy is not sent either.
    const scheduledLate = env({ currentAttemptScheduledTimestampMs: Date.now() + 120_000 });
    const payBy = new Date(Date.now() + 60_000).toISOString();
    expect((await failure(scheduledLate.run(activities.payEctorBooking, { bookingId: booking.id, payBy }))).type).toBe(
      FailureType.PaymentWindowClosed,
    );
    expect(v3().length).toBe(before);
    expect(sandbox.bookings.get(booking.id)!.status).toBe('pending_payment');
  });

  test('cancel: an insured booking is cancelled; without insurance the refusal carries Ector’s message', async () => {
    const activities = createEctorActivities({ client });
    const insured = await env().run(activities.createEctorBooking, { reference: 'journey-insured', booking: journeyBooking() });
    expect(await env().run(activities.cancelEctorBooking, { bookingId: insured.id })).toMatchObject({ status: 'cancelled', insured: true });

    const plain = await env().run(activities.createEctorBooking, {
      reference: 'journey-plain',
      booking: journeyBooking({ services: [] }),
    });
    expect(plain.insured).toBe(false);
    const refused = await failure(env().run(activities.cancelEctorBooking, { bookingId: plain.id }));
    expect(refused).toMatchObject({
      type: FailureType.UpstreamRejected,
      nonRetryable: true,
      message: 'Ector refused the cancellation: only bookings with cancellation_insurance can be cancelled',
      details: [{ status: 422, code: 'CANCELLATION_NOT_ALLOWED' }],
    });
    expect((await env().run(activities.getEctorBooking, { bookingId: plain.id })).status).toBe('pending_payment');
  });
});

function lastSundayOfMarch(): string {
  const last = new Date(Date.UTC(YEAR, 3, 0));
  return String(last.getUTCDate() - last.getUTCDay()).padStart(2, '0');
}
