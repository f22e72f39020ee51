import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type EctorActivities } from '../../src/activities/ector/activities';
import { type Booking, type BookingRequest } from '../../src/activities/ector/booking';
import { FailureType } from '../../src/domain/failures';
import { money } from '../../src/domain/money';

const now = () => activityInfo().currentAttemptScheduledTimestampMs;

/** An in-memory Ector on the test server's clock: its 60-minute window, insured cancellation, outages. */
export class FakeEctor {
  windowMs = 60 * 60_000;
  readonly bookings = new Map<string, Booking & { reference: string; createdMs: number }>();
  /** Pay calls that fail with a retryable error before reaching Ector. */
  payFailures = 0;
  /** Ector is down for pay calls (every call retryable) until this instant (ms). */
  payDownUntil = 0;
  /** The next pay goes through but its answer is lost; Ector is then down for pay calls until payDownUntil. */
  loseNextPayAnswer = false;
  /** Cancel calls that fail with a retryable error before reaching Ector. */
  cancelFailures = 0;
  available = true;
  readonly calls: string[] = [];
  private next = 1;

  readonly activities: EctorActivities = {
    quoteEctorBooking: async ({ zoneId, startAt, endAt }) => {
      this.calls.push('quote');
      return { zoneId, startAt, endAt, available: this.available, price: money('40.00', 'EUR'), services: [] };
    },
    createEctorBooking: async ({ reference, booking }: { reference: string; booking: BookingRequest }) => {
      this.calls.push('create');
      const found = [...this.bookings.values()].find((b) => b.reference === reference);
      if (found) return this.view(found);
      const insured = booking.services.includes('cancellation_insurance');
      const created = {
        id: `B-${this.next++}`,
        reference,
        createdMs: now(),
        status: 'pending_payment' as const,
        zoneId: booking.zoneId,
        startAt: booking.startAt,
        endAt: booking.endAt,
        createdAt: new Date(now()).toISOString(),
        services: booking.services,
        insured,
        total: money(insured ? '49.90' : '40.00', 'EUR'),
      };
      this.bookings.set(created.id, created);
      return this.view(created);
    },
    getEctorBooking: async ({ bookingId }) => {
      this.calls.push('get');
      return this.view(this.bookings.get(bookingId)!);
    },
    payEctorBooking: async ({ bookingId, payBy }) => {
      this.calls.push('pay');
      if (now() >= Date.parse(payBy)) throw ApplicationFailure.nonRetryable('not submitted: payBy passed', FailureType.PaymentWindowClosed);
      if (this.payFailures > 0) {
        this.payFailures -= 1;
        throw ApplicationFailure.retryable('ector POST /v3/bookings/pay: 503', FailureType.UpstreamUnavailable);
      }
      const booking = this.bookings.get(bookingId)!;
      if (this.loseNextPayAnswer && booking.status === 'pending_payment') {
        this.loseNextPayAnswer = false;
        booking.status = 'paid';
        throw ApplicationFailure.retryable('ector POST /v3/bookings/pay: no answer within 10000 ms', FailureType.UpstreamUnavailable);
      }
      if (now() < this.payDownUntil) throw ApplicationFailure.retryable('ector POST /v3/bookings/pay: 503', FailureType.UpstreamUnavailable);
      if (now() > booking.createdMs + this.windowMs && booking.status !== 'paid')
        throw ApplicationFailure.nonRetryable('BOOKING_EXPIRED', FailureType.PaymentWindowClosed);
      booking.status = 'paid';
      return this.view(booking);
    },
    cancelEctorBooking: async ({ bookingId }) => {
      this.calls.push('cancel');
      if (this.cancelFailures > 0) {
        this.cancelFailures -= 1;
        throw ApplicationFailure.retryable('ector POST /v3/bookings/cancel: 503', FailureType.UpstreamUnavailable);
      }
      const booking = this.bookings.get(bookingId)!;
      if (!booking.insured) throw ApplicationFailure.nonRetryable('CANCELLATION_NOT_ALLOWED', FailureType.UpstreamRejected);
      booking.status = 'cancelled';
      return this.view(booking);
    },
  };

  /** What Ector's record says, as its API shows it (an unpaid booking past its window shows expired). */
  private view(b: Booking & { reference: string; createdMs: number }): Booking {
    const expired = b.status === 'pending_payment' && now() > b.createdMs + this.windowMs;
    const { id, zoneId, startAt, endAt, createdAt, services, insured, total } = b;
    return { id, zoneId, startAt, endAt, createdAt, services, insured, total, status: expired ? 'expired' : b.status };
  }

  get statuses(): string[] {
    return [...this.bookings.values()].map((b) => b.status);
  }
}
