import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Stay, type StayLookup } from '../../src/activities/linkc/client';
import { FailureType } from '../../src/domain/failures';
import { fromMinorUnits, money } from '../../src/domain/money';
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
  readonly transactions = new Map<string, { dueMinor: number; expiresMs: number; used: boolean }>();
  readonly submissions: Array<{ id: string; outcome: 'registered' | 'expired' | 'reused' | 'stale' }> = [];
  private next = 1;

  enteredMinutesAgo(minutes: number, at: number): void {
    this.enteredAtMs = at - minutes * 60_000;
  }

  async lookupStay(_lookup: StayLookup): Promise<Stay> {
    if (!this.inYard) throw ApplicationFailure.nonRetryable('stay not found in the yard', FailureType.UpstreamNotFound);
    const t = now();
    const total = tariffMinor((t - this.enteredAtMs!) / 60_000);
    const due = Math.max(0, total - this.paidMinor);
    const stay: Stay = {
      localizador: '1234567890',
      enteredAt: new Date(this.enteredAtMs!).toISOString(),
      exitBy: new Date(due > 0 ? t : this.paidMinor > 0 ? t + 15 * 60_000 : this.enteredAtMs! + 15 * 60_000).toISOString(),
      total: money(fromMinorUnits(total), 'BRL'),
      paid: money(fromMinorUnits(this.paidMinor), 'BRL'),
      due: money(fromMinorUnits(due), 'BRL'),
    };
    if (due > 0) {
      const id = `tx-${this.next++}`;
      this.transactions.set(id, { dueMinor: due, expiresMs: t + this.validityMs, used: false });
      stay.transaction = { id, validUntil: new Date(t + this.validityMs).toISOString() };
    }
    return stay;
  }

  async registerPayment(id: string): Promise<{ authorization?: string }> {
    if (this.down) throw ApplicationFailure.nonRetryable('linkc payment registration: unavailable (retries exhausted)', FailureType.UpstreamUnavailable);
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
      this.submissions.push({ id, outcome: 'reused' });
      throw ApplicationFailure.nonRetryable('TRANSACAO_UTILIZADA', FailureType.UpstreamRejected);
    }
    if (tx.dueMinor > tariffMinor((now() - this.enteredAtMs!) / 60_000) - this.paidMinor) {
      this.submissions.push({ id, outcome: 'stale' });
      throw ApplicationFailure.nonRetryable('TRANSACAO_INVALIDA: the stay changed since the look-up', FailureType.UpstreamRejected);
    }
    tx.used = true;
    this.paidMinor += tx.dueMinor;
    this.submissions.push({ id, outcome: 'registered' });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw ApplicationFailure.retryable('linkc payment registration: no answer within 10000 ms', FailureType.UpstreamUnavailable);
    }
    return { authorization: 'AUTH' };
  }
}

/** Processors that capture when the test says so. */
export class FakePayments {
  readonly states = new Map<string, 'pending' | 'captured' | 'declined'>();
  readonly refunds: Array<{ orderId: string; amount: string }> = [];
  readonly opened: Array<{ orderId: string; amount: string; method: string }> = [];

  capture(orderId: string): void {
    this.states.set(orderId, 'captured');
  }

  readonly activities = {
    openPaymentOrder: async (order: { orderId: string; method: string; amount: { value: string } }) => {
      this.opened.push({ orderId: order.orderId, amount: order.amount.value, method: order.method });
      if (!this.states.has(order.orderId)) this.states.set(order.orderId, 'pending');
      return { processorRef: `ref-${order.orderId}`, redirectUrl: `https://pay.example/${order.orderId}` };
    },
    paymentStatus: async (order: { orderId: string }) => ({ state: this.states.get(order.orderId) ?? 'pending', processorRef: `ref-${order.orderId}` }),
    closePaymentOrder: async () => undefined,
    refundPayment: async (order: { orderId: string; amount: { value: string } }) => {
      this.refunds.push({ orderId: order.orderId, amount: order.amount.value });
    },
  };
}
