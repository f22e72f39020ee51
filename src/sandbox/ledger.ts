// What a card processor's books say: every capture and refund, with the merchant's reference
// (parkflow's order id, `<journey id>.<attempt>`), so tests can prove nothing was charged twice.
// Sums are money (integer minor units, per currency), not counts: a partial refund still holds.

export interface LedgerEntry {
  kind: 'capture' | 'refund';
  /** The merchant's order reference. */
  reference: string;
  /** The processor's id of the transaction (ntpID, AUTH_GUID). */
  processorRef: string;
  amountMinor: number;
  currency: string;
  at: string;
}

export interface OrderHolding {
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
  heldMinor: number;
}

/** The journey an order belongs to: its reference up to the last dot. */
const journeyOf = (reference: string) => reference.replace(/\.[^.]*$/, '');

export class Ledger {
  readonly entries: LedgerEntry[] = [];

  record(entry: Omit<LedgerEntry, 'at'>, nowMs: number): void {
    this.entries.push({ ...entry, at: new Date(nowMs).toISOString() });
  }

  /** Captured, refunded and still held per order (the merchant reference). */
  heldByOrder(): Record<string, OrderHolding> {
    const orders: Record<string, OrderHolding> = {};
    for (const e of this.entries) {
      const order = (orders[e.reference] ??= { currency: e.currency, capturedMinor: 0, refundedMinor: 0, heldMinor: 0 });
      if (order.currency !== e.currency) throw new Error(`ledger: order ${e.reference} mixes ${order.currency} and ${e.currency}`);
      if (e.kind === 'capture') order.capturedMinor += e.amountMinor;
      else order.refundedMinor += e.amountMinor;
      order.heldMinor = order.capturedMinor - order.refundedMinor;
    }
    return orders;
  }

  /** Journey id → currency → minor units still held (captures minus refunds). */
  heldByJourney(): Record<string, Record<string, number>> {
    const held: Record<string, Record<string, number>> = {};
    for (const [reference, order] of Object.entries(this.heldByOrder())) {
      const journey = (held[journeyOf(reference)] ??= {});
      journey[order.currency] = (journey[order.currency] ?? 0) + order.heldMinor;
    }
    return held;
  }

  /** Journey id → how many of its orders still hold money. */
  holdingOrdersByJourney(): Record<string, number> {
    const holding: Record<string, number> = {};
    for (const [reference, order] of Object.entries(this.heldByOrder())) {
      const journey = journeyOf(reference);
      holding[journey] = (holding[journey] ?? 0) + (order.heldMinor > 0 ? 1 : 0);
    }
    return holding;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
