import { compareJourney, countByKind, emptyBatch, mergeBatch, addRecords, type JourneyBooks } from '../src/reconciliation/compare';
import { dayBefore, dayBounds } from '../src/reconciliation/day';

// The reconciliation's judgement of one journey's books (src/reconciliation/compare.ts), without I/O.

const EUR = (value: string) => ({ value, currency: 'EUR' });
const books = (over: Partial<JourneyBooks> = {}): JourneyBooks => ({
  journeyId: 'j',
  state: 'paid',
  attempts: [{ order: 'j.1', processor: 'mobilpay', status: 'captured', amount: EUR('42.00') }],
  records: [{ order: 'j.1', processor: 'mobilpay', capturedMinor: 4200, refundedMinor: 0, currency: 'EUR' }],
  booking: { amountMinor: 4200, currency: 'EUR' },
  ...over,
});

test('clean books: nothing to report', () => {
  expect(compareJourney(books())).toEqual([]);
  // A journey refunded in full and booked nothing (an insured cancellation) is clean too.
  const refunded = books({ state: 'cancelled', booking: null });
  refunded.records[0]!.refundedMinor = 4200;
  expect(compareJourney(refunded)).toEqual([]);
});

test('a capture for an order no attempt holds is an orphan, reported only', () => {
  const found = compareJourney(
    books({ records: [...books().records, { order: 'j.2', processor: 'epx', capturedMinor: 4200, refundedMinor: 0 }] }),
  );
  expect(found).toEqual([
    expect.objectContaining({ kind: 'orphan-capture', order: 'j.2', processor: 'epx', found: { value: '42.00', currency: 'EUR' } }),
  ]);
  expect(found[0]!.compensable).toBeUndefined();
});

test('a capture of a declined or expired attempt is compensable only while another attempt is kept', () => {
  const superseded = books({
    attempts: [
      { order: 'j.1', processor: 'mobilpay', status: 'expired', amount: EUR('42.00') },
      { order: 'j.2', processor: 'mobilpay', status: 'captured', amount: EUR('42.00') },
    ],
    records: [
      { order: 'j.1', processor: 'mobilpay', capturedMinor: 4200, refundedMinor: 0, currency: 'EUR' },
      { order: 'j.2', processor: 'mobilpay', capturedMinor: 4200, refundedMinor: 0, currency: 'EUR' },
    ],
  });
  expect(compareJourney(superseded)).toEqual([expect.objectContaining({ kind: 'orphan-capture', order: 'j.1', compensable: true })]);
  // Nothing else kept: which money is the journey's is not clear — reported (and the booking judged) only.
  const alone = books({ attempts: [{ order: 'j.1', processor: 'mobilpay', status: 'declined', amount: EUR('42.00') }] });
  const found = compareJourney(alone);
  expect(found.map((d) => [d.kind, d.compensable])).toEqual([
    ['orphan-capture', undefined],
    ['booking-without-capture', undefined],
  ]);
});

test('an attempt refunded in Temporal whose money the processor still holds is a missing refund', () => {
  const found = compareJourney(
    books({
      state: 'cancelled',
      booking: null,
      attempts: [{ order: 'j.1', processor: 'mobilpay', status: 'refunded', amount: EUR('42.00') }],
    }),
  );
  expect(found.map((d) => d.kind)).toEqual(['missing-refund']);
  // A journey that ended unbooked while its attempt still holds money.
  expect(compareJourney(books({ state: 'expired', booking: null })).map((d) => d.kind)).toEqual(['missing-refund']);
});

test('amounts and currencies: the capture against its attempt, the kept money against the booking', () => {
  const short = books();
  short.records[0]!.capturedMinor = 4100;
  expect(compareJourney(short).map((d) => d.kind)).toEqual(['amount-mismatch', 'amount-mismatch']);
  const ron = books();
  ron.records[0]!.currency = 'RON';
  expect(compareJourney(ron).map((d) => d.kind)).toEqual(['currency-mismatch', 'currency-mismatch']);
  expect(compareJourney(books({ booking: { amountMinor: 5000, currency: 'EUR' } }))).toEqual([
    expect.objectContaining({ kind: 'amount-mismatch', expected: EUR('50.00'), found: EUR('42.00') }),
  ]);
});

test('a booking with nothing captured, and a capture with nothing booked', () => {
  expect(compareJourney(books({ attempts: [], records: [] })).map((d) => d.kind)).toEqual(['booking-without-capture']);
  expect(compareJourney(books({ booking: null })).map((d) => d.kind)).toEqual(['capture-without-booking']);
});

test('money still moving is not judged against the booking; an unverifiable booking is not judged', () => {
  expect(compareJourney(books({ state: 'awaiting_payment', booking: null }))).toEqual([]);
  expect(compareJourney(books({ attempts: [{ ...books().attempts[0]!, status: 'pending' }], booking: null }))).toEqual([]);
  expect(compareJourney(books({ state: 'completed', booking: 'unverifiable' }))).toEqual([]);
});

test('batches add up: totals per processor and currency, counts, differences by kind', () => {
  const a = emptyBatch();
  addRecords(a, books().records);
  a.checked.journeys = 1;
  const b = emptyBatch();
  addRecords(b, [{ order: 'k.1', processor: 'mobilpay', capturedMinor: 100, refundedMinor: 100, currency: 'EUR' }]);
  b.checked.journeys = 1;
  b.differences.push({ kind: 'orphan-capture', journeyId: 'k', processor: 'epx', why: 'x' });
  mergeBatch(a, b);
  expect(a.processors.mobilpay).toEqual({ orders: 2, capturedMinor: { EUR: 4300 }, refundedMinor: { EUR: 100 } });
  expect(a.checked.journeys).toBe(2);
  expect(countByKind(a.differences)['orphan-capture']).toBe(1);
});

test('the day: the one before the scheduled instant, bounded in UTC', () => {
  expect(dayBefore(Date.parse('2026-03-01T03:00:00Z'))).toBe('2026-02-28');
  expect(dayBounds('2026-02-28')).toEqual({ start: '2026-02-28T00:00:00.000Z', end: '2026-03-01T00:00:00.000Z' });
  expect(() => dayBounds('2026-2-28')).toThrow(RangeError);
});
