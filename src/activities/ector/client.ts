import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { FailureType } from '../../domain/failures';
import { money } from '../../domain/money';
import { callUpstream, parseUpstream, rejectUpstream, UpstreamUnauthorized, type UpstreamRequest, type UpstreamResponse } from '../http';
import { type Booking, type Quote, type Zone } from './booking';
import {
  BookingAnswer,
  BookingsAnswer,
  ECTOR_AUTH_HEADER,
  ECTOR_ENVIRONMENT,
  ECTOR_ENVIRONMENT_HEADER,
  EctorError,
  ERROR_CODES,
  QuoteAnswer,
  ZonesAnswer,
  type BookingRequest as WireBookingRequest,
  type EctorMoney,
  type EctorService,
} from './wire';

// Ector client (seed 004; research §3; fidelity audit E-01…E-27). The API key is read from its
// provider at every call, so a renewed key (the seed: "can be renewed regularly") needs no
// restart; on a 401 it is read once more and, if it changed, the call is sent once more with it.
// X-ECTOR-ENVIRONMENT is always "production", on the sandbox too. Every answer is parsed with the
// wire schemas; error bodies ({status_code, error_code, message, errors?}) are read tolerantly.
// Failures: 400 VALIDATION_ERROR → UpstreamRejected naming the field; 404 → UpstreamNotFound;
// 409/422 → UpstreamRejected with Ector's error_code (BOOKING_EXPIRED → PaymentWindowClosed);
// a key refused twice → CredentialRejected. No message ever carries the key.

export interface EctorSettings {
  baseUrl: string;
  /** Read at every call (a mounted secret file, the environment): rotation without a restart. */
  apiKey: () => string | Promise<string>;
  timeoutMs: number;
}

/** What an Ector refusal carries in its failure's details (the first entry). */
export interface EctorRefusal {
  status: number;
  code: string;
  /** For a 400 VALIDATION_ERROR: the field Ector named first (`contact.phone`). */
  field?: string;
  /** Ector's own message (409/422). */
  message?: string;
}

type Call = Omit<UpstreamRequest, 'upstream' | 'baseUrl' | 'timeoutMs' | 'headers'>;

export class EctorClient {
  constructor(private readonly settings: EctorSettings) {}

  async listZones(): Promise<Zone[]> {
    const where = 'ector GET /v3/zones';
    const res = await this.send(where, { method: 'GET', path: '/v3/zones' });
    return parseUpstream(ZonesAnswer, res.body, where).map((z) => ({
      id: z.id,
      name: z.name,
      type: z.type,
      address: z.address,
      timeZone: z.timezone,
      services: services(z.available_services),
    }));
  }

  async quote(input: { zoneId: string; startAt: string; endAt: string }): Promise<Quote> {
    const where = 'ector GET /v3/quotes';
    const query = new URLSearchParams({ zone_id: input.zoneId, start_at: input.startAt, end_at: input.endAt });
    const res = await this.send(where, { method: 'GET', path: `/v3/quotes?${query}` });
    const q = parseUpstream(QuoteAnswer, res.body, where);
    return {
      zoneId: q.zone_id,
      startAt: q.start_at,
      endAt: q.end_at,
      available: q.available,
      price: amount(q.price),
      services: services(q.available_services),
    };
  }

  /** The bookings created with this partner_reference (parkflow's idempotency key for the creation). */
  async findBookings(partnerReference: string): Promise<Booking[]> {
    const where = 'ector GET /v3/bookings';
    const query = new URLSearchParams({ partner_reference: partnerReference });
    const res = await this.send(where, { method: 'GET', path: `/v3/bookings?${query}` });
    return parseUpstream(BookingsAnswer, res.body, where).map(booking);
  }

  /**
   * POST /v3/bookings. Ector does not deduplicate: every call that reaches it creates a booking.
   * Callers look up the partner_reference first (see createEctorBooking in ./activities.ts).
   */
  async createBooking(body: WireBookingRequest): Promise<{ booking: Booking; contactId: string; carId: string }> {
    const where = 'ector POST /v3/bookings';
    const res = await this.send(where, { method: 'POST', path: '/v3/bookings', body }, [201, 200]);
    const answer = parseUpstream(BookingAnswer, res.body, where);
    return { booking: booking(answer), contactId: answer.contact_id, carId: answer.car_id };
  }

  async getBooking(id: string): Promise<Booking> {
    const where = 'ector GET /v3/bookings/{id}';
    const res = await this.send(where, { method: 'GET', path: `/v3/bookings/${encodeURIComponent(id)}` });
    return booking(parseUpstream(BookingAnswer, res.body, where));
  }

  /** Marks the booking paid: 409 BOOKING_ALREADY_PAID and 422 BOOKING_EXPIRED are failures the caller reads. */
  async payBooking(id: string): Promise<Booking> {
    const where = 'ector POST /v3/bookings/{id}/pay';
    const res = await this.send(where, { method: 'POST', path: `/v3/bookings/${encodeURIComponent(id)}/pay`, body: {} });
    return booking(parseUpstream(BookingAnswer, res.body, where));
  }

  async cancelBooking(id: string): Promise<Booking> {
    const where = 'ector POST /v3/bookings/{id}/cancel';
    const res = await this.send(where, { method: 'POST', path: `/v3/bookings/${encodeURIComponent(id)}/cancel`, body: {} });
    return booking(parseUpstream(BookingAnswer, res.body, where));
  }

  /** One call with the current key; on a 401, the key read again and, if it changed, one more try. */
  private async send(where: string, call: Call, ok: number[] = [200]): Promise<UpstreamResponse> {
    const key = await this.key(where);
    let res: UpstreamResponse;
    try {
      res = await this.call(call, key);
    } catch (err) {
      if (!(err instanceof UpstreamUnauthorized)) throw err;
      const fresh = await this.key(where);
      if (fresh === key) throw credentialRejected(where, 'the same key');
      try {
        res = await this.call(call, fresh);
      } catch (again) {
        if (again instanceof UpstreamUnauthorized) throw credentialRejected(where, 'the key read again');
        throw again;
      }
    }
    if (!ok.includes(res.status)) refuse(where, res);
    return res;
  }

  private async key(where: string): Promise<string> {
    let key: string;
    try {
      key = (await this.settings.apiKey()).trim();
    } catch {
      // The provider's error may name a path; it never holds the key, but it is not needed either.
      throw ApplicationFailure.nonRetryable(
        `${where}: the Ector API key could not be read; check ECTOR_API_KEY / ECTOR_API_KEY_FILE`,
        FailureType.CredentialRejected,
      );
    }
    if (!key)
      throw ApplicationFailure.nonRetryable(
        `${where}: the Ector API key is empty; set ECTOR_API_KEY or ECTOR_API_KEY_FILE`,
        FailureType.CredentialRejected,
      );
    return key;
  }

  private call(call: Call, key: string): Promise<UpstreamResponse> {
    return callUpstream({
      ...call,
      headers: { [ECTOR_AUTH_HEADER]: key, [ECTOR_ENVIRONMENT_HEADER]: ECTOR_ENVIRONMENT },
      upstream: 'ector',
      baseUrl: this.settings.baseUrl,
      timeoutMs: this.settings.timeoutMs,
    });
  }
}

function credentialRejected(where: string, what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${where}: Ector refused parkflow's API key (401), ${what} too; ` +
      "rotate ECTOR_API_KEY / ECTOR_API_KEY_FILE to the key Ector's team issued",
    FailureType.CredentialRejected,
  );
}

/** An Ector error answer as a typed, non-retryable failure carrying its error_code. */
function refuse(where: string, res: UpstreamResponse): never {
  const parsed = EctorError.safeParse(res.body);
  if (!parsed.success) rejectUpstream(where, res.status, res.body);
  const { error_code: code, message, errors } = parsed.data;
  const status = res.status;
  const text = `${where}: ${code}: ${message.slice(0, 300)}`;
  if (status === 404) throw ApplicationFailure.nonRetryable(text, FailureType.UpstreamNotFound, { status, code } satisfies EctorRefusal);
  if (status === 400 && code === ERROR_CODES.Validation) {
    const first = errors?.[0];
    const field = first?.includes(':') ? first.slice(0, first.indexOf(':')).trim() : undefined;
    const detail = errors?.length ? `${where}: ${errors.slice(0, 5).join('; ').slice(0, 300)}` : text;
    throw ApplicationFailure.nonRetryable(detail, FailureType.UpstreamRejected, { status, code, field } satisfies EctorRefusal);
  }
  if (status === 422 && code === ERROR_CODES.PaymentWindowClosed)
    throw ApplicationFailure.nonRetryable(text, FailureType.PaymentWindowClosed, { status, code, message } satisfies EctorRefusal);
  throw ApplicationFailure.nonRetryable(text, FailureType.UpstreamRejected, { status, code, message } satisfies EctorRefusal);
}

/** The refusal an Ector failure carries, if it is one. */
export function ectorRefusal(err: unknown): EctorRefusal | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const first = err.details?.[0] as Partial<EctorRefusal> | undefined;
  return first && typeof first.code === 'string' && typeof first.status === 'number' ? (first as EctorRefusal) : undefined;
}

function amount(m: EctorMoney) {
  return money(m.amount, m.currency);
}

function services(list: Array<z.infer<typeof EctorService>>) {
  return list.map((s) => ({ code: s.code, price: amount(s.price) }));
}

function booking(b: BookingAnswer): Booking {
  return {
    id: b.id,
    status: b.status,
    zoneId: b.zone_id,
    // Ector's own zone-local times with their offsets: exact instants, kept as shown.
    startAt: b.start_at,
    endAt: b.end_at,
    createdAt: b.created_at,
    services: b.services,
    insured: b.services.includes('cancellation_insurance'),
    total: amount(b.total),
  };
}
