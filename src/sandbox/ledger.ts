// What a card processor's books say: every capture and refund, with the merchant's reference
// (parkflow's order id, `<journey id>.<attempt>`), so tests can prove nothing was charged twice.

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

export class Ledger {
  readonly entries: LedgerEntry[] = [];

  record(entry: Omit<LedgerEntry, 'at'>, nowMs: number): void {
    this.entries.push({ ...entry, at: new Date(nowMs).toISOString() });
  }

  /** Captures minus refunds per journey (the reference up to its last dot). */
  netCapturesByJourney(): Record<string, number> {
    const net: Record<string, number> = {};
    for (const e of this.entries) {
      const journey = e.reference.replace(/\.[^.]*$/, '');
      net[journey] = (net[journey] ?? 0) + (e.kind === 'capture' ? 1 : -1);
    }
    return net;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
