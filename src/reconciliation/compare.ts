import { fromMinorUnits, toMinorUnits, type Money } from '../domain/money';

// The nightly reconciliation's judgement, per journey: what the card processors hold for each of
// its orders (`<journey id>.<attempt>`) against the journey's payment attempts (their workflows)
// and against what its operator booked. Pure, and free of Node built-ins: the workflow imports the
// report's types; the activities (src/activities/reconciliation) read the records and call it.

export const PROCESSORS = ['mobilpay', 'epx'] as const;
export type Processor = (typeof PROCESSORS)[number];

export const DIFFERENCE_KINDS = [
  'orphan-capture',
  'missing-refund',
  'amount-mismatch',
  'currency-mismatch',
  'booking-without-capture',
  'capture-without-booking',
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface Difference {
  kind: DifferenceKind;
  journeyId: string;
  /** The processor's order id, when the difference is one order's. */
  order?: string;
  /** The processor the money is at ('operator' for a booking with no capture at either). */
  processor: Processor | 'operator';
  /** What the books should show, and what they show. */
  expected?: Money;
  found?: Money;
  why: string;
  /** A capture of a superseded attempt while another attempt of the journey is kept: refunded by the reconciliation. */
  compensable?: boolean;
  /** Refunded by this run. */
  compensated?: boolean;
}

/** A payment attempt as Temporal knows it (its workflow `payment-<order>`). */
export interface AttemptRecord {
  order: string;
  processor: Processor;
  status: 'pending' | 'captured' | 'declined' | 'expired' | 'refunded';
  amount?: Money;
}

/** A processor's record of one order, from its status look-up. */
export interface ProcessorRecord {
  order: string;
  processor: Processor;
  capturedMinor: number;
  refundedMinor: number;
  /** Absent when the processor's answer does not carry one (EPX books in its account's currency). */
  currency?: string;
}

/** What the operator booked for the journey: null when nothing, 'unverifiable' when its records no longer show the stay. */
export type OperatorBooking = { amountMinor: number; currency: string } | null | 'unverifiable';

export interface JourneyBooks {
  journeyId: string;
  /** The journey's state: money is only judged against the booking once it no longer moves. */
  state: string;
  attempts: AttemptRecord[];
  /** Every order looked up (the attempts, and one past the last) at the processors that know it. */
  records: ProcessorRecord[];
  booking: OperatorBooking;
}

/** States in which the journey's money is still moving (a payment opening, a capture not yet booked). */
const MONEY_IN_FLIGHT = ['entering', 'finalizing', 'awaiting_payment'];
const ENDED_UNBOOKED = ['cancelled', 'expired', 'failed'];

const held = (r: ProcessorRecord) => r.capturedMinor - r.refundedMinor;
/** ISO 4217's code for "no currency": money whose currency neither the processor nor the journey shows. */
const NO_CURRENCY = 'XXX';
const asMoney = (minor: number, currency: string | undefined): Money => ({
  value: fromMinorUnits(Math.max(0, minor)),
  currency: currency ?? NO_CURRENCY,
});

export function compareJourney(books: JourneyBooks): Difference[] {
  const { journeyId } = books;
  const differences: Difference[] = [];
  const attemptOf = (r: ProcessorRecord) => books.attempts.find((a) => a.order === r.order && a.processor === r.processor);
  const kept = books.records.filter((r) => held(r) > 0 && attemptOf(r)?.status === 'captured');
  // EPX's answers carry no currency: it books in its account's, which is the journey's.
  const journeyCurrency =
    books.attempts.map((a) => a.amount?.currency).find(Boolean) ??
    (books.booking && books.booking !== 'unverifiable' ? books.booking.currency : undefined);

  for (const record of books.records) {
    const attempt = attemptOf(record);
    const { order, processor } = record;
    const found = asMoney(held(record), record.currency ?? attempt?.amount?.currency ?? journeyCurrency);
    if (attempt?.status === 'captured') {
      const expected = attempt.amount;
      if (!expected) continue;
      if (record.currency && record.currency !== expected.currency) {
        differences.push({
          kind: 'currency-mismatch',
          journeyId,
          order,
          processor,
          expected,
          found,
          why: 'the processor captured another currency',
        });
      } else if (record.capturedMinor !== toMinorUnits(expected.value)) {
        const captured = asMoney(record.capturedMinor, expected.currency);
        differences.push({
          kind: 'amount-mismatch',
          journeyId,
          order,
          processor,
          expected,
          found: captured,
          why: 'the processor captured another amount',
        });
      }
      continue;
    }
    if (held(record) <= 0 || attempt?.status === 'pending') continue;
    if (!attempt) {
      differences.push({
        kind: 'orphan-capture',
        journeyId,
        order,
        processor,
        found,
        why: 'no payment attempt of the journey holds this order',
      });
    } else if (attempt.status === 'refunded') {
      differences.push({
        kind: 'missing-refund',
        journeyId,
        order,
        processor,
        expected: asMoney(0, found.currency),
        found,
        why: 'the attempt was refunded; the processor still holds money',
      });
    } else {
      // Declined or expired: superseded by the journey. The rule is clear when another attempt is the one kept.
      const compensable = kept.some((k) => k.order !== order);
      differences.push({
        kind: 'orphan-capture',
        journeyId,
        order,
        processor,
        found,
        why: `a capture of a ${attempt.status} attempt${compensable ? ' superseded by the attempt kept' : ''}`,
        ...(compensable && { compensable }),
      });
    }
  }

  if (MONEY_IN_FLIGHT.includes(books.state) || books.booking === 'unverifiable') return differences;
  if (books.attempts.some((a) => a.status === 'pending')) return differences;
  const keptMinor = kept.reduce((sum, r) => sum + held(r), 0);
  const keptCurrency = kept.map((r) => r.currency ?? attemptOf(r)?.amount?.currency).find(Boolean) ?? journeyCurrency;
  const processor = kept[0]?.processor;
  const booking = books.booking && books.booking.amountMinor > 0 ? books.booking : null;
  if (!booking && keptMinor > 0) {
    const ended = ENDED_UNBOOKED.includes(books.state);
    differences.push({
      kind: ended ? 'missing-refund' : 'capture-without-booking',
      journeyId,
      processor: processor!,
      expected: asMoney(0, keptCurrency),
      found: asMoney(keptMinor, keptCurrency),
      why: ended ? `the journey ${books.state} with money kept and nothing booked` : 'the operator has no booking for the money kept',
    });
  } else if (booking && keptMinor === 0) {
    differences.push({
      kind: 'booking-without-capture',
      journeyId,
      processor: 'operator',
      expected: asMoney(booking.amountMinor, booking.currency),
      found: asMoney(0, booking.currency),
      why: 'the operator booked money no processor holds for the journey',
    });
  } else if (booking) {
    const expected = asMoney(booking.amountMinor, booking.currency);
    const found = asMoney(keptMinor, keptCurrency);
    if (keptCurrency && keptCurrency !== booking.currency)
      differences.push({
        kind: 'currency-mismatch',
        journeyId,
        processor: processor!,
        expected,
        found,
        why: 'kept in another currency than booked',
      });
    else if (keptMinor !== booking.amountMinor)
      differences.push({ kind: 'amount-mismatch', journeyId, processor: processor!, expected, found, why: 'kept differs from booked' });
  }
  return differences;
}

/** What each processor's records showed for the day's orders, in integer minor units per currency. */
export interface ProcessorTotals {
  orders: number;
  capturedMinor: Record<string, number>;
  refundedMinor: Record<string, number>;
}

export interface CheckedCounts {
  journeys: number;
  orders: number;
  bookings: number;
  bookingsUnverifiable: number;
}

/** One batch of journeys judged: what the reconciliation workflow adds up. */
export interface BatchResult {
  processors: Record<Processor, ProcessorTotals>;
  differences: Difference[];
  checked: CheckedCounts;
}

export interface ReconciliationReport extends BatchResult {
  /** The day reconciled (YYYY-MM-DD, in RECONCILIATION_TIME_ZONE). */
  day: string;
  timeZone: string;
  byKind: Record<DifferenceKind, number>;
  compensated: number;
  /** Differences beyond the report's cap are counted in byKind but not listed. */
  unlisted: number;
}

export function emptyBatch(): BatchResult {
  const totals = (): ProcessorTotals => ({ orders: 0, capturedMinor: {}, refundedMinor: {} });
  return {
    processors: { mobilpay: totals(), epx: totals() },
    differences: [],
    checked: { journeys: 0, orders: 0, bookings: 0, bookingsUnverifiable: 0 },
  };
}

/** Adds a journey's records to a batch's processor totals; `currency`: the journey's, for a record that shows none (EPX). */
export function addRecords(into: BatchResult, records: ProcessorRecord[], fallback = NO_CURRENCY): void {
  for (const r of records) {
    const totals = into.processors[r.processor];
    totals.orders += 1;
    const currency = r.currency ?? fallback;
    if (r.capturedMinor) totals.capturedMinor[currency] = (totals.capturedMinor[currency] ?? 0) + r.capturedMinor;
    if (r.refundedMinor) totals.refundedMinor[currency] = (totals.refundedMinor[currency] ?? 0) + r.refundedMinor;
  }
}

/** `into` += `batch` (counts and totals; differences appended). */
export function mergeBatch(into: BatchResult, batch: BatchResult): void {
  for (const p of PROCESSORS) {
    const a = into.processors[p];
    const b = batch.processors[p];
    a.orders += b.orders;
    for (const [c, m] of Object.entries(b.capturedMinor)) a.capturedMinor[c] = (a.capturedMinor[c] ?? 0) + m;
    for (const [c, m] of Object.entries(b.refundedMinor)) a.refundedMinor[c] = (a.refundedMinor[c] ?? 0) + m;
  }
  for (const k of Object.keys(into.checked) as Array<keyof CheckedCounts>) into.checked[k] += batch.checked[k];
  into.differences.push(...batch.differences);
}

export function countByKind(differences: Difference[]): Record<DifferenceKind, number> {
  const byKind = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<DifferenceKind, number>;
  for (const d of differences) byKind[d.kind] += 1;
  return byKind;
}
