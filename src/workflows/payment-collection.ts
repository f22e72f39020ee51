import { ApplicationFailure, condition, getExternalWorkflowHandle, patched, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { PaymentAttemptActivities } from '../activities/payment-attempts';
import type { PaymentActivities } from '../activities/payments';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { fromMinorUnits, toMinorUnits, type Money } from '../domain/money';
import { type PaymentMethod, type ProcessorTerms } from '../domain/payment-methods';
import { REFRESH_FLOOR_MS, type PaymentView } from './messages';
import { paymentNotified, paymentOrderId, paymentWorkflowId, supersedePayment } from './payment-messages';
import { asHandlerFailure, Lock } from './support';

// Collecting a journey's money through our own processors, for any operator that is paid by us
// and then told (LinkC registers the payment, Ector marks the booking paid). One attempt is open
// at a time: a pay while one is opening or waiting for the driver answers with that attempt
// (or is refused if it asks for another method). What the journey holds is read from the
// processors' records — a payment workflow's signal is only a hint to read them — so a
// duplicated or replayed signal, or a reset run that re-opens an attempt, cannot change the money.

export interface PaymentAttempt {
  /** As the journey shows it; its status comes from the attempt's own workflow. */
  view: PaymentView;
  /** What the processor's record says the order holds now (captured − refunded), in minor units. */
  heldMinor: number;
  /** When this run opened it; absent for an attempt it learned of from its workflow's report. */
  openedAt?: number;
  /** When the money moved, by the processor's record (ms). */
  capturedAt?: number;
  /**
   * Money this run did not see move: captured before this run opened the attempt, or an attempt
   * it never opened (an operator's reset). An earlier run may have had the operator book it.
   */
  inherited?: boolean;
}

/** Everything the collection knows, in one object a journey carries through continue-as-new. */
export interface CollectionState {
  attempts: PaymentAttempt[];
  /** The number of the next attempt: order ids are `<journey id>.<n>`, never reused within a run. */
  next: number;
}

export interface CollectionSettings {
  journeyId: string;
  description: string;
  polling?: { firstMs: number; maxMs: number };
  /** The currencies each processor takes; every method is allowed when absent. */
  processors?: ProcessorTerms;
}

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
const { openPaymentAttempt } = proxyActivities<PaymentAttemptActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '75s',
  retry,
});
/** An attempt that finishes opening after its journey ended is superseded (before, it stayed open until its deadline). */
const SUPERSEDE_OPENED_LATE_PATCH = 'collection-supersede-opened-late';
const { paymentStatus, refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', retry });
/** A record read under REFRESH_FLOOR_MS ago, with no news since, is not read again before a refund (it was, every time). */
const FRESH_RECORDS_PATCH = 'collection-fresh-records-not-reread';

export class PaymentCollection {
  private readonly lock = new Lock();
  /** Attempts whose processor record must be read again (a payment workflow said something moved). */
  private readonly unread = new Set<string>();
  /** A read of the processors' records is under way: what is held is about to change. */
  private reading = 0;
  /** The journey has ended: no attempt opens any more, and one that was opening is superseded once open. */
  private ended = false;
  /** When each attempt's processor record was last read (workflow time). */
  private readonly readAt = new Map<string, number>();
  /** When the open attempt was last asked to read its processor (at most once per REFRESH_FLOOR_MS). */
  private nudgedAt = -Infinity;

  constructor(
    readonly state: CollectionState,
    private readonly settings: CollectionSettings,
  ) {}

  static empty(): CollectionState {
    return { attempts: [], next: 1 };
  }

  /** The attempt a pay answers with: opening, or waiting for the driver (or for a review). */
  get open(): PaymentAttempt | undefined {
    return this.state.attempts.find((a) => a.view.status === 'pending');
  }

  /** The attempt a journey shows: the open one, else the latest. */
  get latest(): PaymentView | undefined {
    return (this.open ?? this.state.attempts.at(-1))?.view;
  }

  get heldMinor(): number {
    return this.state.attempts.reduce((sum, a) => sum + a.heldMinor, 0);
  }

  get needsReading(): boolean {
    return this.unread.size > 0;
  }

  /** For the pay validator: what cannot be done is refused before anything is opened. */
  validate(method: PaymentMethod, currency: string): void {
    const currencies = this.settings.processors?.[method].currencies;
    if (currencies && !currencies.includes(currency)) {
      throw ApplicationFailure.nonRetryable(
        `${method} cannot take ${currency} (it takes ${currencies.join(', ') || 'nothing'}); choose another payment method`,
        FailureType.CurrencyNotAccepted,
        { field: 'method' },
      );
    }
    const open = this.open;
    if (open && open.view.method !== method) {
      throw ApplicationFailure.nonRetryable(
        `a ${open.view.method} payment (${open.view.paymentId}) is under way: ` +
          'pay it on its page, or choose another method once it has ended',
        FailureType.WrongState,
      );
    }
  }

  /**
   * Opens an attempt for `amount` — or answers with the one already open. What is owed is judged
   * on the processors' latest records: a capture the journey is told of, or is reading, counts
   * (a validator runs before the activation's other news is applied). The journey's own loop does
   * the reading, so the commands of a workflow task never depend on the order of its messages
   * (a reset run gets its reapplied updates and signals together).
   */
  pay(method: PaymentMethod, amount: () => Money, dueAt: () => string): Promise<PaymentView> {
    return this.lock.run(async () => {
      await condition(() => this.ended || (this.reading === 0 && !this.needsReading));
      if (this.ended) throw ApplicationFailure.nonRetryable('the journey has ended: nothing more to pay', FailureType.WrongState);
      const open = this.open;
      if (open) {
        this.validate(method, open.view.amount!.currency);
        return open.view;
      }
      if (toMinorUnits(amount().value) === 0)
        throw ApplicationFailure.nonRetryable('the amount due is already paid; it is being registered', FailureType.WrongState);
      const attempt = this.state.next++;
      const paymentId = paymentOrderId(this.settings.journeyId, attempt);
      const view: PaymentView = { paymentId, method, redirectUrl: '', status: 'pending', amount: amount() };
      const entry: PaymentAttempt = { view, heldMinor: 0, openedAt: Date.now() };
      this.state.attempts.push(entry);
      try {
        const opened = await openPaymentAttempt({
          journeyId: this.settings.journeyId,
          attempt,
          method,
          amount: entry.view.amount!,
          dueAt: dueAt(),
          description: this.settings.description,
          reportTo: this.settings.journeyId,
          polling: this.settings.polling,
        });
        entry.view.redirectUrl = opened.redirectUrl;
        // The journey ended while the order was being opened (a cancel, an expiry): close it now.
        if (this.ended && patched(SUPERSEDE_OPENED_LATE_PATCH)) await this.supersede();
      } catch (err) {
        const failure = asHandlerFailure(err);
        Object.assign(entry.view, { status: 'declined', reason: failure.message });
        throw failure;
      }
      return entry.view;
    });
  }

  /**
   * An attempt's workflow reported a change. An attempt this run never opened (a reset run, an
   * attempt the earlier run opened) is adopted: its money counts like any other, so what the
   * operator does not need is refunded and what it booked is kept.
   */
  onChanged(view: PaymentView): void {
    let entry = this.state.attempts.find((a) => a.view.paymentId === view.paymentId);
    if (!entry) {
      entry = { view: { ...view }, heldMinor: 0 };
      this.state.attempts.push(entry);
      const n = Number(view.paymentId.slice(view.paymentId.lastIndexOf('.') + 1));
      if (Number.isSafeInteger(n)) this.state.next = Math.max(this.state.next, n + 1);
    } else {
      entry.view = { ...entry.view, ...view, redirectUrl: view.redirectUrl || entry.view.redirectUrl };
    }
    if (view.status !== 'pending') this.unread.add(view.paymentId);
  }

  /** Reads the processors' records of the attempts said to have moved (`all`: of every one that may hold money). */
  async read(all = false): Promise<void> {
    const mayHold = (a: PaymentAttempt) => a.heldMinor > 0 || a.view.status === 'captured' || this.unread.has(a.view.paymentId);
    let ids = this.state.attempts.filter((a) => (all ? mayHold(a) : this.unread.has(a.view.paymentId))).map((a) => a.view.paymentId);
    // Money moves only with news (a capture is reported, a refund is ours): a record just read still holds.
    const fresh = (id: string) => !this.unread.has(id) && Date.now() - (this.readAt.get(id) ?? -Infinity) < REFRESH_FLOOR_MS;
    if (ids.some(fresh) && patched(FRESH_RECORDS_PATCH)) ids = ids.filter((id) => !fresh(id));
    this.unread.clear();
    this.reading += 1;
    try {
      for (const id of ids) await this.readOne(id);
    } finally {
      this.reading -= 1;
    }
  }

  private async readOne(id: string): Promise<void> {
    const entry = this.state.attempts.find((a) => a.view.paymentId === id)!;
    const status = await paymentStatus({ method: entry.view.method as PaymentMethod, orderId: id });
    this.readAt.set(id, Date.now());
    // Only money its own workflow judged on time counts: a late capture is that workflow's to refund.
    const counts = status.state === 'captured' && entry.view.status === 'captured';
    const captured = counts ? toMinorUnits(status.captured ?? entry.view.amount!.value) : 0;
    entry.heldMinor = Math.max(0, captured - (counts ? toMinorUnits(status.refunded ?? '0') : 0));
    if (status.capturedAt) entry.capturedAt = Date.parse(status.capturedAt);
    if (status.processorRef) entry.view.processorRef = status.processorRef;
    const movedBeforeThisRun = entry.openedAt === undefined || (!!status.capturedAt && Date.parse(status.capturedAt) < entry.openedAt);
    if (entry.heldMinor > 0 && movedBeforeThisRun && entry.inherited === undefined) entry.inherited = true;
  }

  /** Money held that this run did not see move (see PaymentAttempt.inherited), in minor units. */
  get inheritedMinor(): number {
    return this.state.attempts.reduce((sum, a) => sum + (a.inherited ? a.heldMinor : 0), 0);
  }

  /** Money held that moved before `at` (ms), by the processors' records. */
  heldBefore(at: number): number {
    return this.state.attempts.reduce((sum, a) => sum + (a.capturedAt !== undefined && a.capturedAt < at ? a.heldMinor : 0), 0);
  }

  /** The operator's record shows the inherited money booked: from now on it is ordinary money. */
  acceptInherited(): void {
    for (const a of this.state.attempts) if (a.inherited) a.inherited = false;
  }

  /** Refunds what is held beyond `keepMinor` in total, the latest capture first. */
  async refundDownTo(keepMinor: number, why: string): Promise<void> {
    await this.read(true);
    let excess = this.heldMinor - keepMinor;
    for (const entry of [...this.state.attempts].reverse()) {
      if (excess <= 0) break;
      const refund = Math.min(excess, entry.heldMinor);
      if (refund <= 0) continue;
      const { method, paymentId, amount } = entry.view;
      const keep = fromMinorUnits(entry.heldMinor - refund);
      await refundPayment({ method: method as PaymentMethod, orderId: paymentId, amount: amount!, description: why, keep });
      entry.heldMinor -= refund;
      excess -= refund;
    }
  }

  /**
   * A driver came back from the open attempt's page (or a backend asked): its workflow reads the processor now
   * instead of at its next poll, at most once a second. A hint like a notification: the processor's record still decides.
   */
  async nudge(): Promise<void> {
    const open = this.open;
    if (!open?.view.redirectUrl || Date.now() - this.nudgedAt < REFRESH_FLOOR_MS) return;
    this.nudgedAt = Date.now();
    await getExternalWorkflowHandle(paymentWorkflowId(open.view.paymentId))
      .signal(paymentNotified)
      .catch(() => undefined); // it has just ended: its report is on its way
  }

  /** The journey no longer wants the open attempt: its order is closed; money that lands is refunded. */
  async supersede(): Promise<void> {
    this.ended = true;
    const open = this.open;
    if (!open?.view.redirectUrl) return;
    await getExternalWorkflowHandle(paymentWorkflowId(open.view.paymentId))
      .signal(supersedePayment)
      .catch(() => undefined); // it has ended already: nothing is left to close
  }
}
