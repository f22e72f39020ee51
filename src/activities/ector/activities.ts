import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { refuseIfPast } from '../deadline';
import { toE164 } from '../../domain/phone';
import { resolveInZone } from '../../domain/zoned-time';
import { type Booking, type BookingRequest, type Car, type Contact, type Quote } from './booking';
import { ectorRefusal, type EctorClient } from './client';
import { ERROR_CODES, type BookingRequest as WireBookingRequest } from './wire';

// Ector's steps of a journey. Creation is made idempotent by us, since Ector does not deduplicate;
// contact_id and car_id are remembered per process and dropped when Ector no longer knows them
// (the sandbox's nightly wipe); the pay call never leaves once the payment deadline has passed.

/** How many contact and car ids a worker remembers (each map). */
const MAX_REMEMBERED_IDS = 10_000;
/** Zones are cached for a day (seed: "this call should be cached and updated once a day"). */
const ZONES_TTL_MS = 24 * 3600_000;

/** A Map that forgets its least recently used entries beyond `max`. */
class BoundedMap<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

const contactKey = (c: Contact, phone: string) =>
  JSON.stringify([c.email.trim().toLowerCase(), phone, c.firstName.trim(), c.lastName.trim()]);
const carKey = (c: Car) =>
  JSON.stringify([c.plate.replace(/\s+/g, '').toUpperCase(), c.brand?.trim() ?? '', c.model?.trim() ?? '', c.color?.trim() ?? '']);

/** A datetime as Ector should get it: the zone's local time with that date's offset (never naive, never Z). */
function zoneTime(value: string, timeZone: string, field: string): string {
  const resolved = resolveInZone(value, timeZone);
  if (!resolved.ok) throw ApplicationFailure.nonRetryable(`${field}: ${resolved.reason}`, FailureType.UpstreamRejected, { field });
  return resolved.iso;
}

export function createEctorActivities({ client }: { client: EctorClient }) {
  const contactIds = new BoundedMap<string>(MAX_REMEMBERED_IDS);
  const carIds = new BoundedMap<string>(MAX_REMEMBERED_IDS);
  let zones: { at: number; timeZones: Map<string, string> } | undefined;

  /** The zone's IANA time zone from the day's zone list; undefined for a zone Ector does not list. */
  async function timeZoneOf(zoneId: string): Promise<string | undefined> {
    if (!zones || Date.now() - zones.at > ZONES_TTL_MS || !zones.timeZones.has(zoneId)) {
      const list = await client.listZones();
      zones = { at: Date.now(), timeZones: new Map(list.map((z) => [z.id, z.timeZone])) };
    }
    return zones.timeZones.get(zoneId);
  }

  return {
    /**
     * Price and availability; times sent in the zone's local time with their offset. The zone's
     * time zone is `timeZone` when the caller knows it, else read from the day's zone list (a zone
     * Ector does not list: the times go as they are, and Ector's 404 answers).
     */
    async quoteEctorBooking(input: { zoneId: string; startAt: string; endAt: string; timeZone?: string }): Promise<Quote> {
      const timeZone = input.timeZone ?? (await timeZoneOf(input.zoneId));
      if (!timeZone) return client.quote({ zoneId: input.zoneId, startAt: input.startAt, endAt: input.endAt });
      return client.quote({
        zoneId: input.zoneId,
        startAt: zoneTime(input.startAt, timeZone, 'start_at'),
        endAt: zoneTime(input.endAt, timeZone, 'end_at'),
      });
    },

    /**
     * Creates the journey's booking, once. Ector does not deduplicate POST /v3/bookings (the same
     * body twice is two bookings), so the journey id travels as partner_reference and every
     * attempt looks it up first: when an answer is lost (a timeout, a dropped connection) after
     * Ector created the booking, the retry finds that booking and returns it instead of creating a
     * second one. A cancelled booking found is not reused. (Two attempts of one activity never run
     * at once: Temporal starts a retry only after the previous attempt failed or timed out.)
     */
    async createEctorBooking(input: { reference: string; booking: BookingRequest }): Promise<Booking> {
      const found = (await client.findBookings(input.reference)).filter((b) => b.status !== 'cancelled');
      if (found.length > 0) return found.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0]!;

      const { booking } = input;
      const phone = toE164(booking.contact.phone, 'FR');
      if (!phone)
        throw ApplicationFailure.nonRetryable('contact.phone: not a valid phone number', FailureType.UpstreamRejected, {
          field: 'contact.phone',
        });
      const contact = { first_name: booking.contact.firstName, last_name: booking.contact.lastName, email: booking.contact.email, phone };
      const car = {
        plate: booking.car.plate.trim().toUpperCase(),
        ...(booking.car.brand ? { brand: booking.car.brand } : {}),
        ...(booking.car.model ? { model: booking.car.model } : {}),
        ...(booking.car.color ? { color: booking.car.color } : {}),
      };
      const keys = { contact: contactKey(booking.contact, phone), car: carKey(booking.car) };
      const base = {
        zone_id: booking.zoneId,
        start_at: zoneTime(booking.startAt, booking.timeZone, 'start_at'),
        end_at: zoneTime(booking.endAt, booking.timeZone, 'end_at'),
        services: booking.services,
        partner_reference: input.reference,
      };
      // Ids from an earlier booking when we have them; the details when Ector forgot them (the
      // sandbox's nightly wipe), in the same call: a 422 *_NOT_FOUND created nothing.
      for (let attempt = 0; ; attempt++) {
        const contactId = contactIds.get(keys.contact);
        const carId = carIds.get(keys.car);
        const body: WireBookingRequest = {
          ...base,
          ...(contactId ? { contact_id: contactId } : { contact }),
          ...(carId ? { car_id: carId } : { car }),
        };
        try {
          const created = await client.createBooking(body);
          contactIds.set(keys.contact, created.contactId);
          carIds.set(keys.car, created.carId);
          return created.booking;
        } catch (err) {
          const code = ectorRefusal(err)?.code;
          if (attempt < 2 && code === ERROR_CODES.ContactNotFound && contactId) contactIds.delete(keys.contact);
          else if (attempt < 2 && code === ERROR_CODES.CarNotFound && carId) carIds.delete(keys.car);
          else throw err;
        }
      }
    },

    async getEctorBooking(input: { bookingId: string }): Promise<Booking> {
      return client.getBooking(input.bookingId);
    },

    /**
     * Marks the booking paid at Ector — never once `payBy` has passed (Ector's window, less our
     * margin): a late pay is not sent at all. BOOKING_ALREADY_PAID means an earlier try went
     * through and its answer was lost: the booking as Ector has it now is the answer.
     */
    async payEctorBooking(input: { bookingId: string; payBy: string }): Promise<Booking> {
      refuseIfPast(
        input.payBy,
        FailureType.PaymentWindowClosed,
        `Ector's payment window closes at ${input.payBy}: the payment was not sent`,
      );
      try {
        return await client.payBooking(input.bookingId);
      } catch (err) {
        if (ectorRefusal(err)?.code === ERROR_CODES.AlreadyPaid) return client.getBooking(input.bookingId);
        throw err;
      }
    },

    /** Cancels an insured booking; Ector's refusal (no cancellation_insurance, already started) is final. */
    async cancelEctorBooking(input: { bookingId: string }): Promise<Booking> {
      try {
        return await client.cancelBooking(input.bookingId);
      } catch (err) {
        const refusal = ectorRefusal(err);
        if (refusal?.code === ERROR_CODES.CancellationNotAllowed)
          throw ApplicationFailure.nonRetryable(
            `Ector refused the cancellation: ${refusal.message ?? 'not allowed'}`,
            FailureType.UpstreamRejected,
            {
              status: refusal.status,
              code: refusal.code,
            },
          );
        throw err;
      }
    },
  };
}

export type EctorActivities = ReturnType<typeof createEctorActivities>;
