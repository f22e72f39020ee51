// What the books say after a chaos run, in integer minor units per currency: money KEPT from the
// driver (the processors' ledgers, captures minus refunds per order `<journey id>.<attempt>`; and
// Parking+Plus's own confirmed orders, since it charges the driver on its own page) against money
// the operator BOOKED (Parking+Plus: the paid order of a stay that ended; LinkC: the transactions
// registered with it; Ector: the bookings it shows paid). A journey and the journeys abuse started
// beside it (same stay, same driver) are one account: kept must equal booked, and at most one order
// may hold money. Pure functions: the readers that fetch these records are in reconcile.ts.
import { toMinorUnits } from '../../src/domain/money';
import { Ledger, type LedgerEntry } from '../../src/sandbox/ledger';

/** One order that keeps money net. */
export interface Holding {
  order: string;
  journeyId: string;
  currency: string;
  heldMinor: number;
}

/** Money an operator records as paid for a journey's stay or booking. */
export interface Booking {
  journeyId: string;
  currency: string;
  amountMinor: number;
}

/** A journey driven to its end and the journeys its client's abuse started beside it. */
export interface JourneyGroup {
  journeyId: string;
  members: string[];
}

export interface MoneyVerdict {
  chargedTwice: string[];
  moneyMismatch: Array<{ journeyId: string; currency: string; keptMinor: number; bookedMinor: number }>;
  keptMinor: Record<string, number>;
  bookedMinor: Record<string, number>;
}

/** Each order of a processor's ledger with what it holds net, under its journey (the reference up to the last dot). */
export function processorHoldings(entries: LedgerEntry[]): Holding[] {
  const ledger = new Ledger();
  ledger.entries.push(...entries);
  return Object.entries(ledger.heldByOrder()).map(([order, held]) => ({
    order,
    journeyId: order.replace(/\.[^.]*$/, ''),
    currency: held.currency,
    heldMinor: held.heldMinor,
  }));
}

/** Parking+Plus's records (GET /__sandbox/stats): sessions and their payment orders. */
export interface ParkingPlusRecords {
  sessions: Array<{ id: number; state: string }>;
  orders: Array<{ id: number; sessionId: number; email: string; amountMinor: number; currency: string; status: string }>;
}

/**
 * Parking+Plus is its own merchant: each confirmed order of the journey's driver keeps money; it
 * books the order of a session the car left (closed). `journeyOfDriver`: e-mail → journey id.
 */
export function parkingPlusBooks(
  records: ParkingPlusRecords,
  journeyOfDriver: Map<string, string>,
): { holdings: Holding[]; bookings: Booking[] } {
  const closed = new Set(records.sessions.filter((s) => s.state === 'closed').map((s) => s.id));
  const holdings: Holding[] = [];
  const bookings: Booking[] = [];
  for (const order of records.orders) {
    const journeyId = journeyOfDriver.get(order.email);
    if (!journeyId || order.status !== 'confirmed') continue;
    const { currency, amountMinor } = order;
    holdings.push({ order: `parkingplus:${order.id}`, journeyId, currency, heldMinor: amountMinor });
    if (closed.has(order.sessionId)) bookings.push({ journeyId, currency, amountMinor });
  }
  return { holdings, bookings };
}

/** LinkC's records (GET /__sandbox/ledger): every transaction id it issued, and whether a payment used it. */
export interface LinkcRecords {
  transactions: Array<{ localizador: string; devidoMinor: number; used: boolean }>;
}

/** LinkC books what a registered payment paid (a used transaction's amount), in BRL. `journeyOfTicket`: localizador → journey. */
export function linkcBookings(records: LinkcRecords, journeyOfTicket: Map<string, string>): Booking[] {
  return records.transactions.flatMap((tx) => {
    const journeyId = journeyOfTicket.get(tx.localizador);
    return journeyId && tx.used ? [{ journeyId, currency: 'BRL', amountMinor: tx.devidoMinor }] : [];
  });
}

/** Ector's records (GET /__sandbox/bookings): each booking as its API shows it, with the partner's reference (the journey id). */
export interface EctorRecords {
  bookings: Array<{ status: string; total: { amount: string; currency: string }; partner_reference?: string | null }>;
}

/** Ector books a booking it shows paid (a cancelled one is refunded: nothing booked). */
export function ectorBookings(records: EctorRecords): Booking[] {
  return records.bookings.flatMap((b) =>
    b.status === 'paid' && b.partner_reference
      ? [{ journeyId: b.partner_reference, currency: b.total.currency, amountMinor: toMinorUnits(b.total.amount) }]
      : [],
  );
}

/**
 * Kept against booked, per group and currency; more than one order holding money in a group is a
 * double charge. Money of a journey in no group (no client drove it) is its own group: kept with
 * nothing booked is a mismatch too.
 */
export function judgeMoney(groups: JourneyGroup[], holdings: Holding[], bookings: Booking[]): MoneyVerdict {
  const groupOf = new Map<string, string>();
  for (const g of groups) for (const id of [g.journeyId, ...g.members]) groupOf.set(id, g.journeyId);
  const kept = new Map<string, Record<string, number>>();
  const booked = new Map<string, Record<string, number>>();
  const holdingOrders = new Map<string, number>();
  const add = (into: Map<string, Record<string, number>>, journeyId: string, currency: string, minor: number) => {
    const sums = into.get(journeyId) ?? {};
    sums[currency] = (sums[currency] ?? 0) + minor;
    into.set(journeyId, sums);
  };
  for (const h of holdings) {
    const group = groupOf.get(h.journeyId) ?? h.journeyId;
    add(kept, group, h.currency, h.heldMinor);
    if (h.heldMinor > 0) holdingOrders.set(group, (holdingOrders.get(group) ?? 0) + 1);
  }
  for (const b of bookings) add(booked, groupOf.get(b.journeyId) ?? b.journeyId, b.currency, b.amountMinor);

  const moneyMismatch: MoneyVerdict['moneyMismatch'] = [];
  for (const journeyId of [...new Set([...kept.keys(), ...booked.keys()])].sort()) {
    const k = kept.get(journeyId) ?? {};
    const b = booked.get(journeyId) ?? {};
    for (const currency of [...new Set([...Object.keys(k), ...Object.keys(b)])].sort()) {
      const keptMinor = k[currency] ?? 0;
      const bookedMinor = b[currency] ?? 0;
      if (keptMinor !== bookedMinor) moneyMismatch.push({ journeyId, currency, keptMinor, bookedMinor });
    }
  }
  return {
    chargedTwice: [...holdingOrders]
      .filter(([, n]) => n > 1)
      .map(([journeyId]) => journeyId)
      .sort(),
    moneyMismatch,
    keptMinor: totals(kept),
    bookedMinor: totals(booked),
  };
}

function totals(sums: Map<string, Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const perCurrency of sums.values()) for (const [c, minor] of Object.entries(perCurrency)) total[c] = (total[c] ?? 0) + minor;
  return total;
}
