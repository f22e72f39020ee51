import { type temporal } from '@temporalio/proto';
import {
  ectorBookings,
  judgeMoney,
  linkcBookings,
  parkingPlusBooks,
  processorHoldings,
  type ParkingPlusRecords,
} from '../scripts/chaos/books';
import { openTimers, overBudget, reachedEnd, stuckReason, type OpenWorkflow } from '../scripts/chaos/reconcile';
import { type LedgerEntry } from '../src/sandbox/ledger';

// The chaos run's reconciliation, on fabricated books and histories: what counts as money kept and
// booked, a double charge, a stuck workflow and a journey that did not reach its end.

const at = '2030-01-01T10:00:00.000Z';
const capture = (reference: string, amountMinor: number, currency = 'RON'): LedgerEntry => ({
  kind: 'capture',
  reference,
  processorRef: `n-${reference}`,
  amountMinor,
  currency,
  at,
});
const refund = (reference: string, amountMinor: number, currency = 'RON'): LedgerEntry => ({ ...capture(reference, amountMinor, currency), kind: 'refund' });

describe('money: kept (processor ledgers) against booked (operators)', () => {
  test('a journey charged twice: two orders holding money, kept twice what the operator booked', () => {
    const holdings = processorHoldings([capture('journey-t-a.1', 1000), capture('journey-t-a.2', 1000)]);
    const verdict = judgeMoney([{ journeyId: 'journey-t-a', members: [] }], holdings, [{ journeyId: 'journey-t-a', currency: 'RON', amountMinor: 1000 }]);
    expect(verdict.chargedTwice).toEqual(['journey-t-a']);
    expect(verdict.moneyMismatch).toEqual([{ journeyId: 'journey-t-a', currency: 'RON', keptMinor: 2000, bookedMinor: 1000 }]);
    expect(verdict).toMatchObject({ keptMinor: { RON: 2000 }, bookedMinor: { RON: 1000 } });
  });

  test('a capture refunded in full nets to zero: one order holds money, kept = booked', () => {
    const holdings = processorHoldings([capture('journey-t-b.1', 1000), capture('journey-t-b.2', 1000), refund('journey-t-b.1', 600), refund('journey-t-b.1', 400)]);
    expect(holdings).toEqual([
      { order: 'journey-t-b.1', journeyId: 'journey-t-b', currency: 'RON', heldMinor: 0 },
      { order: 'journey-t-b.2', journeyId: 'journey-t-b', currency: 'RON', heldMinor: 1000 },
    ]);
    const verdict = judgeMoney([{ journeyId: 'journey-t-b', members: [] }], holdings, [{ journeyId: 'journey-t-b', currency: 'RON', amountMinor: 1000 }]);
    expect(verdict).toEqual({ chargedTwice: [], moneyMismatch: [], keptMinor: { RON: 1000 }, bookedMinor: { RON: 1000 } });
  });

  test('kept differs from what the operator booked, per currency; money of a journey nobody drove counts too', () => {
    const holdings = processorHoldings([capture('journey-t-c.1', 1500, 'EUR'), capture('journey-t-d.1', 700, 'BRL'), capture('journey-t-zz.1', 300, 'EUR')]);
    const verdict = judgeMoney(
      [
        { journeyId: 'journey-t-c', members: [] },
        { journeyId: 'journey-t-d', members: [] },
      ],
      holdings,
      [
        { journeyId: 'journey-t-c', currency: 'EUR', amountMinor: 1200 },
        { journeyId: 'journey-t-d', currency: 'BRL', amountMinor: 700 },
      ],
    );
    expect(verdict.chargedTwice).toEqual([]);
    expect(verdict.moneyMismatch).toEqual([
      { journeyId: 'journey-t-c', currency: 'EUR', keptMinor: 1500, bookedMinor: 1200 },
      { journeyId: 'journey-t-zz', currency: 'EUR', keptMinor: 300, bookedMinor: 0 },
    ]);
    expect(verdict.keptMinor).toEqual({ EUR: 1800, BRL: 700 });
  });

  test("a journey started beside another by abuse shares its account: money on either, one stay's booking", () => {
    const group = { journeyId: 'journey-t-main', members: ['journey-t-side'] };
    const oneCharge = processorHoldings([capture('journey-t-side.1', 500, 'BRL')]);
    expect(judgeMoney([group], oneCharge, [{ journeyId: 'journey-t-main', currency: 'BRL', amountMinor: 500 }]).moneyMismatch).toEqual([]);
    const bothCharged = processorHoldings([capture('journey-t-side.1', 500, 'BRL'), capture('journey-t-main.1', 500, 'BRL')]);
    const verdict = judgeMoney([group], bothCharged, [{ journeyId: 'journey-t-main', currency: 'BRL', amountMinor: 500 }]);
    expect(verdict.chargedTwice).toEqual(['journey-t-main']);
    expect(verdict.moneyMismatch).toEqual([{ journeyId: 'journey-t-main', currency: 'BRL', keptMinor: 1000, bookedMinor: 500 }]);
  });

  test("Parking+Plus charges on its own page: each confirmed order of the driver is kept, a closed session's is booked", () => {
    const records: ParkingPlusRecords = {
      sessions: [
        { id: 1, state: 'closed' },
        { id: 2, state: 'exiting' },
        { id: 3, state: 'closed' },
      ],
      orders: [
        { id: 11, sessionId: 1, email: 'a@example.com', amountMinor: 500, currency: 'RON', status: 'confirmed' },
        { id: 12, sessionId: 2, email: 'a@example.com', amountMinor: 417, currency: 'RON', status: 'confirmed' }, // a second session, paid, car inside
        { id: 13, sessionId: 3, email: 'b@example.com', amountMinor: 500, currency: 'RON', status: 'pending' },
        { id: 14, sessionId: 3, email: 'stranger@example.com', amountMinor: 900, currency: 'RON', status: 'confirmed' },
      ],
    };
    const drivers = new Map([
      ['a@example.com', 'journey-t-pa'],
      ['b@example.com', 'journey-t-pb'],
    ]);
    const { holdings, bookings } = parkingPlusBooks(records, drivers);
    expect(holdings.map((h) => [h.order, h.journeyId, h.heldMinor])).toEqual([
      ['parkingplus:11', 'journey-t-pa', 500],
      ['parkingplus:12', 'journey-t-pa', 417],
    ]);
    expect(bookings).toEqual([{ journeyId: 'journey-t-pa', currency: 'RON', amountMinor: 500 }]);
    const verdict = judgeMoney([{ journeyId: 'journey-t-pa', members: [] }], holdings, bookings);
    expect(verdict.chargedTwice).toEqual(['journey-t-pa']);
    expect(verdict.moneyMismatch).toEqual([{ journeyId: 'journey-t-pa', currency: 'RON', keptMinor: 917, bookedMinor: 500 }]);
  });

  test('LinkC books a registered payment (a used transaction id); Ector a booking it shows paid', () => {
    const tickets = new Map([['1000000001', 'journey-t-l']]);
    expect(
      linkcBookings(
        {
          transactions: [
            { localizador: '1000000001', devidoMinor: 750, used: true },
            { localizador: '1000000001', devidoMinor: 1000, used: false }, // looked up again, never paid with
            { localizador: '1999999999', devidoMinor: 500, used: true }, // someone else's stay
          ],
        },
        tickets,
      ),
    ).toEqual([{ journeyId: 'journey-t-l', currency: 'BRL', amountMinor: 750 }]);
    expect(
      ectorBookings({
        bookings: [
          { status: 'paid', total: { amount: '69.60', currency: 'EUR' }, partner_reference: 'journey-t-e1' },
          { status: 'cancelled', total: { amount: '69.60', currency: 'EUR' }, partner_reference: 'journey-t-e2' },
          { status: 'expired', total: { amount: '20.00', currency: 'EUR' }, partner_reference: 'journey-t-e3' },
          { status: 'paid', total: { amount: '20.00', currency: 'EUR' }, partner_reference: null },
        ],
      }),
    ).toEqual([{ journeyId: 'journey-t-e1', currency: 'EUR', amountMinor: 6960 }]);
  });
});

describe('Temporal: open timers, stuck workflows, ends and budgets', () => {
  type Event = temporal.api.history.v1.IHistoryEvent;
  const started = (timerId: string): Event => ({ timerStartedEventAttributes: { timerId } });
  const fired = (timerId: string): Event => ({ timerFiredEventAttributes: { timerId } });
  const cancelled = (timerId: string): Event => ({ timerCanceledEventAttributes: { timerId } });
  const other: Event = { activityTaskScheduledEventAttributes: { activityId: '1' } };

  test('a timer started and neither fired nor cancelled is open', () => {
    expect(openTimers([started('1'), other, fired('1'), started('2'), started('3'), cancelled('2'), other])).toEqual(['3']);
    expect(openTimers([started('1'), fired('1')])).toEqual([]);
    expect(openTimers([])).toEqual([]);
  });

  const open = (w: Partial<OpenWorkflow>): OpenWorkflow => ({
    workflowId: 'journey-t-x',
    type: 'linkcJourney',
    pendingActivities: 0,
    pendingChildren: 0,
    pendingNexusOperations: 0,
    pendingWorkflowTask: false,
    openTimers: 0,
    ...w,
  });

  test('an open workflow waiting on nothing is stuck, unless it is a waiter by design', () => {
    expect(stuckReason(open({ journeyState: 'awaiting_payment' }))).toMatch(/linkcJourney \(awaiting_payment\) is open with no pending/);
    expect(stuckReason(open({ journeyState: 'awaiting_payment', openTimers: 1 }))).toBeUndefined();
    expect(stuckReason(open({ pendingActivities: 1 }))).toBeUndefined();
    expect(stuckReason(open({ pendingChildren: 1 }))).toBeUndefined();
    expect(stuckReason(open({ pendingWorkflowTask: true }))).toBeUndefined();
    expect(stuckReason(open({ type: 'payment' }))).toMatch(/payment is open/);
    // Waiters: the account and the zone cache live on messages; a parked car waits for its driver.
    expect(stuckReason(open({ type: 'parkingPlusAccount' }))).toBeUndefined();
    expect(stuckReason(open({ type: 'ectorZoneCache' }))).toBeUndefined();
    expect(stuckReason(open({ type: 'parkingPlusJourney', journeyState: 'active' }))).toBeUndefined();
    expect(stuckReason(open({ type: 'parkingPlusJourney', journeyState: 'needs_reauth' }))).toBeUndefined();
    expect(stuckReason(open({ type: 'parkingPlusJourney', journeyState: 'exiting' }))).toMatch(/exiting/);
  });

  test("a driven journey's end: completed, or for Ector a paid booking; a journey started beside it must be over", () => {
    expect(reachedEnd('parkingplus', 'completed', false)).toBe(true);
    expect(reachedEnd('parkingplus', 'paid', false)).toBe(false);
    expect(reachedEnd('linkc', 'cancelled', false)).toBe(false);
    expect(reachedEnd('linkc', 'exiting', false)).toBe(false);
    expect(reachedEnd('ector', 'paid', false)).toBe(true);
    expect(reachedEnd('ector', 'expired', false)).toBe(false);
    expect(reachedEnd('linkc', 'cancelled', true)).toBe(true);
    expect(reachedEnd('linkc', 'awaiting_payment', true)).toBe(false);
    expect(reachedEnd('ector', 'paid', true)).toBe(true);
  });

  test('each run is held to the history budget, in events and in bytes', () => {
    const runs = [
      { workflowId: 'a', historyLength: 100, historySize: 10_000 },
      { workflowId: 'b', historyLength: 2_001, historySize: 10_000 },
      { workflowId: 'c', historyLength: 100, historySize: 3_000_000 },
      { workflowId: 'd', historyLength: 100 },
    ];
    expect(overBudget(runs, { events: 2_000, bytes: 2_000_000 })).toEqual([
      { workflowId: 'b', events: 2_001, bytes: 10_000 },
      { workflowId: 'c', events: 100, bytes: 3_000_000 },
    ]);
  });
});
