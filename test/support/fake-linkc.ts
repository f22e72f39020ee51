import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Stay, type StayLookup } from '../../src/activities/linkc/client';
import { FailureType } from '../../src/domain/failures';
import { fromMinorUnits, money, toMinorUnits } from '../../src/domain/money';
import { tariffMinor } from '../../src/sandbox/linkc/app';

const now = () => activityInfo().currentAttemptScheduledTimestampMs;

/** An in-memory LinkC garage on the test server's clock, for time-skipping journey tests. */
export class FakeLinkcClient {
  enteredAtMs?: number;
  paidMinor = 0;
  inYard = true;
  validityMs = 5 * 60_000;
  /** Registrations that fail with a retryable error before reaching LinkC. */
  transientFailures = 0;
  /** LinkC's payment endpoint down for good: the activity's retries are exhausted. */
  down = false;
  /** The next registration goes through but its answer is lost (an ambiguous timeout). */
  loseNextAnswer = false;
  /** LinkC answers nothing at all (look-ups and registrations): every call is a retryable failure. */
  outage = false;
  /** The outage starts right after the next lost answer. */
  outageAfterLostAnswer = false;
  /** The next registration is refused (TRANSACAO_INVALIDA) without booking anything. */
  refuseNext = false;
  /** A flat price for the stay (minor units): the amount due does not grow with time. The tariff when absent. */
  flatPriceMinor?: number;
  /** Looked up through an OSA partner: the movement only, paid at the garage until `osaPaidUntilMs`. */
  osa = false;
  osaPaidUntilMs?: number;
  /**
   * The garage's exit tolerance after a payment: exit allowed until our last registration + this.
   * Unset (the default): until 15 minutes after each look-up that finds nothing due.
   */
  exitToleranceMs?: number;
  /** With exitToleranceMs: nothing more is due until it ends (the simulator's garage). False: the tariff's next hour is due at once, before the exit-by LinkC gave. */
  freeWithinTolerance = true;
  /** How many look-ups reached the fake (outages and 404s included). */
  lookups = 0;
  private registeredAt?: { atMs: number; quotedMs: number };
  readonly transactions = new Map<string, { dueMinor: number; expiresMs: number; used: boolean; quotedMs?: number }>();
  readonly submissions: Array<{ id: string; outcome: 'registered' | 'expired' | 'reused' | 'stale' | 'refused' }> = [];
  private next = 1;

  enteredMinutesAgo(minutes: number, at: number): void {
    this.enteredAtMs = at - minutes * 60_000;
  }

  /** The stay's price at `t`: the flat price if set, else the tariff for the time parked. */
  totalMinor(t: number): number {
    return this.flatPriceMinor ?? tariffMinor((t - this.enteredAtMs!) / 60_000);
  }

  async lookupStay(_lookup: StayLookup): Promise<Stay> {
    this.lookups += 1;
    if (this.outage) throw ApplicationFailure.retryable('linkc stay lookup: 503', FailureType.UpstreamUnavailable);
    if (!this.inYard) throw ApplicationFailure.nonRetryable('stay not found in the yard', FailureType.UpstreamNotFound);
    const t = now();
    const tolerance = this.exitToleranceMs !== undefined && this.registeredAt ? this.registeredAt.atMs + this.exitToleranceMs : undefined;
    const tolerated = tolerance !== undefined && t <= tolerance;
    const total = this.totalMinor(tolerated && this.freeWithinTolerance ? this.registeredAt!.quotedMs : t);
    const due = Math.max(0, total - this.paidMinor);
    if (this.osa) {
      const zero = money('0', 'BRL');
      const exitBy = new Date(this.osaPaidUntilMs ?? t).toISOString();
      return { localizador: '5234567890', enteredAt: new Date(this.enteredAtMs!).toISOString(), exitBy, total: money(fromMinorUnits(total), 'BRL'), paid: zero, due: zero, payableHere: false };
    }
    const stay: Stay = {
      localizador: '1234567890',
      enteredAt: new Date(this.enteredAtMs!).toISOString(),
      exitBy: new Date(due > 0 ? t : tolerated ? tolerance : this.paidMinor > 0 ? t + 15 * 60_000 : this.enteredAtMs! + 15 * 60_000).toISOString(),
      total: money(fromMinorUnits(total), 'BRL'),
      paid: money(fromMinorUnits(this.paidMinor), 'BRL'),
      due: money(fromMinorUnits(due), 'BRL'),
      payableHere: true,
    };
    if (due > 0) {
      const id = `tx-${this.next++}`;
      this.transactions.set(id, { dueMinor: due, expiresMs: t + this.validityMs, used: false, quotedMs: t });
      stay.transaction = { id, validUntil: new Date(t + this.validityMs).toISOString() };
    }
    return stay;
  }

  async registerPayment(id: string): Promise<{ registered: 'now' | 'already'; authorization?: string }> {
    if (this.down) throw ApplicationFailure.nonRetryable('linkc payment registration: unavailable (retries exhausted)', FailureType.UpstreamUnavailable);
    if (this.outage) throw ApplicationFailure.retryable('linkc payment registration: 503', FailureType.UpstreamUnavailable);
    if (this.transientFailures > 0) {
      this.transientFailures -= 1;
      throw ApplicationFailure.retryable('linkc payment registration: 503', FailureType.UpstreamUnavailable);
    }
    const tx = this.transactions.get(id)!;
    if (tx.expiresMs <= now()) {
      this.submissions.push({ id, outcome: 'expired' });
      throw ApplicationFailure.nonRetryable('TRANSACAO_EXPIRADA', FailureType.TransactionExpired);
    }
    if (tx.used) {
      // LinkC's TRANSACAO_UTILIZADA: the client reads it as "an earlier try went through".
      this.submissions.push({ id, outcome: 'reused' });
      return { registered: 'already' };
    }
    if (tx.dueMinor > this.totalMinor(now()) - this.paidMinor) {
      this.submissions.push({ id, outcome: 'stale' });
      throw ApplicationFailure.nonRetryable('TRANSACAO_INVALIDA: the stay changed since the look-up', FailureType.UpstreamRejected);
    }
    if (this.refuseNext) {
      this.refuseNext = false;
      this.submissions.push({ id, outcome: 'refused' });
      throw ApplicationFailure.nonRetryable('TRANSACAO_INVALIDA: refused by the garage', FailureType.UpstreamRejected);
    }
    tx.used = true;
    this.paidMinor += tx.dueMinor;
    this.registeredAt = { atMs: now(), quotedMs: tx.quotedMs ?? now() };
    this.submissions.push({ id, outcome: 'registered' });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      if (this.outageAfterLostAnswer) this.outage = true;
      throw ApplicationFailure.retryable('linkc payment registration: no answer within 10000 ms', FailureType.UpstreamUnavailable);
    }
    return { registered: 'now', authorization: 'AUTH' };
  }
}

/** Processors that capture when the test says so, with the capture's time, holding money like a processor's books. */
export class FakePayments {
  readonly orders = new Map<
    string,
    {
      amountMinor: number;
      currency: string;
      state: 'pending' | 'in_review' | 'captured' | 'declined';
      capturedAt?: number;
      refundedMinor: number;
      /** Until when its page takes a card, closed or not (set when the processor reports a lifetime: an EPX TAC). */
      payableUntil?: number;
    }
  >();
  readonly refunds: Array<{ orderId: string; amount: string }> = [];
  readonly opened: Array<{ orderId: string; amount: string; method: string }> = [];
  /** How long an order takes a card after it is opened, closed or not (an EPX TAC: 4 hours); 0 = not once closed. */
  payableForMs?: number;
  /** While set, opening an order waits for it (a processor slow to answer the order's creation). */
  openGate?: Promise<void>;

  /** Whether the order's page still takes a card at `atMs`: open, or an EPX TAC closed but not yet run out. */
  payable(orderId: string, atMs: number): boolean {
    const o = this.orders.get(orderId);
    return o?.state === 'pending' && (o.payableUntil === undefined || atMs < o.payableUntil);
  }

  /** The driver pays on the hosted page at `atMs` (the processor's clock). */
  capture(orderId: string, atMs: number): void {
    Object.assign(this.orders.get(orderId)!, { state: 'captured', capturedAt: atMs });
  }

  /** Money held per order (captures − refunds), in minor units. */
  heldMinor(orderId?: string): number {
    return [...this.orders.entries()]
      .filter(([id, o]) => (orderId === undefined || id === orderId) && o.state === 'captured')
      .reduce((sum, [, o]) => sum + o.amountMinor - o.refundedMinor, 0);
  }

  readonly activities = {
    openPaymentOrder: async (order: { orderId: string; method: string; amount: { value: string; currency: string } }) => {
      await this.openGate;
      this.opened.push({ orderId: order.orderId, amount: order.amount.value, method: order.method });
      if (!this.orders.has(order.orderId))
        this.orders.set(order.orderId, {
          amountMinor: toMinorUnits(order.amount.value),
          currency: order.amount.currency,
          state: 'pending',
          refundedMinor: 0,
          payableUntil: this.payableForMs === undefined ? undefined : Date.now() + this.payableForMs,
        });
      return { processorRef: `ref-${order.orderId}`, redirectUrl: `https://pay.example/${order.orderId}`, payableForMs: this.payableForMs };
    },
    paymentStatus: async (order: { orderId: string }) => {
      const o = this.orders.get(order.orderId);
      if (!o) return { state: 'pending' as const };
      const refunded = o.state === 'captured' && o.refundedMinor >= o.amountMinor;
      return {
        state: refunded ? ('refunded' as const) : o.state,
        processorRef: `ref-${order.orderId}`,
        captured: o.capturedAt === undefined ? undefined : fromMinorUnits(o.amountMinor),
        refunded: fromMinorUnits(o.refundedMinor),
        capturedAt: o.capturedAt === undefined ? undefined : new Date(o.capturedAt).toISOString(),
      };
    },
    closePaymentOrder: async (order: { orderId: string; method?: string }) => {
      const o = this.orders.get(order.orderId);
      // Like the real ones: MobilPay cancels the order; an EPX TAC cannot be withdrawn, it runs out (after the
      // lifetime reported at opening; with none reported, the page takes nothing once closed).
      if (o?.state === 'pending' && (order.method !== 'epx' || o.payableUntil === undefined)) o.state = 'declined';
    },
    refundPayment: async (order: { orderId: string; keep: string }) => {
      const o = this.orders.get(order.orderId)!;
      const refund = o.state === 'captured' ? o.amountMinor - o.refundedMinor - toMinorUnits(order.keep ?? '0') : 0;
      if (refund <= 0) return { refunded: '0.00' };
      o.refundedMinor += refund;
      this.refunds.push({ orderId: order.orderId, amount: fromMinorUnits(refund) });
      return { refunded: fromMinorUnits(refund) };
    },
  };
}
