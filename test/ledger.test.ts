import { Ledger } from '../src/sandbox/ledger';

// The simulators' books count money, not entries: a partial refund leaves money held.

const at = Date.parse('2030-01-01T10:00:00Z');

describe('sandbox ledger', () => {
  test('a 10.50 capture with a 2.50 partial refund holds 8.00: one order holding money', () => {
    const ledger = new Ledger();
    ledger.record({ kind: 'capture', reference: 'journey-a.1', processorRef: 'n1', amountMinor: 1050, currency: 'RON' }, at);
    ledger.record({ kind: 'refund', reference: 'journey-a.1', processorRef: 'n1', amountMinor: 250, currency: 'RON' }, at + 1000);
    expect(ledger.heldByOrder()).toEqual({ 'journey-a.1': { currency: 'RON', capturedMinor: 1050, refundedMinor: 250, heldMinor: 800 } });
    expect(ledger.heldByJourney()).toEqual({ 'journey-a': { RON: 800 } });
    expect(ledger.holdingOrdersByJourney()).toEqual({ 'journey-a': 1 });
  });

  test('a full refund holds nothing', () => {
    const ledger = new Ledger();
    ledger.record({ kind: 'capture', reference: 'journey-b.1', processorRef: 'n1', amountMinor: 1050, currency: 'RON' }, at);
    ledger.record({ kind: 'refund', reference: 'journey-b.1', processorRef: 'n1', amountMinor: 1050, currency: 'RON' }, at);
    expect(ledger.heldByOrder()['journey-b.1']).toMatchObject({ heldMinor: 0 });
    expect(ledger.heldByJourney()).toEqual({ 'journey-b': { RON: 0 } });
    expect(ledger.holdingOrdersByJourney()).toEqual({ 'journey-b': 0 });
  });

  test('two currencies are kept apart; each order of a journey counts once', () => {
    const ledger = new Ledger();
    ledger.record({ kind: 'capture', reference: 'journey-c.1', processorRef: 'n1', amountMinor: 1050, currency: 'RON' }, at);
    ledger.record({ kind: 'capture', reference: 'journey-c.2', processorRef: 'g1', amountMinor: 300, currency: 'USD' }, at);
    ledger.record({ kind: 'refund', reference: 'journey-c.2', processorRef: 'g2', amountMinor: 100, currency: 'USD' }, at);
    ledger.record({ kind: 'capture', reference: 'other.v2.1', processorRef: 'n2', amountMinor: 500, currency: 'RON' }, at);
    expect(ledger.heldByJourney()).toEqual({ 'journey-c': { RON: 1050, USD: 200 }, 'other.v2': { RON: 500 } });
    expect(ledger.holdingOrdersByJourney()).toEqual({ 'journey-c': 2, 'other.v2': 1 });
    ledger.clear();
    expect(ledger.heldByOrder()).toEqual({});
  });
});
