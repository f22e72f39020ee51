import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../../domain/html';
import { type Request, type Response } from 'express';
import { fromMinorUnits } from '../../domain/money';
import { createSandboxApp, type Sandbox } from '../harness';
import { Ledger, type LedgerEntry } from '../ledger';
import { StateFile } from '../state-file';
import { judgeNetopiaCard } from './cards';
import { Notifier } from './notifier';
import { SANDBOX_NETOPIA_PRIVATE_KEY } from './sandbox-keys';

// Netopia Payments API v2 simulator (research §4b): card/start (refused field by field where the
// Go SDK refuses it; a closed order's duplicate → 56 "Order closed") → hosted page → IPN, operation
// status, credit (refund). Status codes: 1 new, 3 paid, 4 canceled, 8 credit, 11 error, 12 declined,
// 13 in review (antifraud: decided later, approved → 3 or declined → 12, each with an IPN).

export type ReviewOutcome = 'approve' | 'decline';

export interface MobilPaySandboxOptions {
  apiKey?: string;
  posSignature?: string;
  privateKeyPem?: string;
  notifyRetry?: { attempts: number; delayMs: number };
  /** How an antifraud review ends (default: declined after 1 s); 'hold' waits for decideReview. */
  review?: { outcome: ReviewOutcome | 'hold'; afterMs?: number };
  /** Keep the state in <dataDir>/simulators/mobilpay.json (a restart continues); in memory only without. */
  dataDir?: string;
}

export interface NetopiaOrder {
  orderID: string;
  ntpID: string;
  posSignature: string;
  amountMinor: number;
  currency: string;
  description: string;
  status: number;
  code: string;
  message: string;
  notifyUrl: string;
  redirectUrl: string;
  /** BIN and last four only. */
  maskedCard?: string;
  refundedMinor?: number;
  /** Sim-clock instant the order was paid (status 3). */
  paidMs?: number;
}

export interface MobilPaySandbox extends Sandbox {
  orders: Map<string, NetopiaOrder>;
  ledger: Ledger;
  notifier: Notifier;
  /** What the hosted page does when the driver submits a card. */
  payWithCard(ntpID: string, cardNumber: string, cvv: string): NetopiaOrder | undefined;
  /** Ends an antifraud review (status 13); an order not in review is left as it is. */
  decideReview(orderID: string, outcome: ReviewOutcome): NetopiaOrder | undefined;
}

export function createMobilPaySandbox(options: MobilPaySandboxOptions = {}): MobilPaySandbox {
  const apiKey = options.apiKey ?? 'sandbox-mobilpay-api-key';
  const posSignature = options.posSignature ?? 'XXXX-XXXX-XXXX-XXXX-XXXX';
  const review = { outcome: options.review?.outcome ?? 'decline', afterMs: options.review?.afterMs ?? 1000 };
  const orders = new Map<string, NetopiaOrder>();
  const ledger = new Ledger();
  const reviewTimers = new Map<string, NodeJS.Timeout>();
  const file = new StateFile<{ clockOffsetMs: number; orders: NetopiaOrder[]; ledger: LedgerEntry[] }>(options.dataDir, 'mobilpay');
  const save = () => file.save({ clockOffsetMs: clock.offsetMs, orders: [...orders.values()], ledger: ledger.entries });
  const sandbox = createSandboxApp(
    () => {
      for (const timer of reviewTimers.values()) clearTimeout(timer);
      reviewTimers.clear();
      orders.clear();
      ledger.clear();
      notifier.controls = { dropNext: 0, duplicateNext: 0, delayMs: 0, hold: false };
    },
    file.path ? save : undefined,
  );
  const { app, clock } = sandbox;
  const notifier = new Notifier(options.privateKeyPem ?? SANDBOX_NETOPIA_PRIVATE_KEY, () => clock.now(), options.notifyRetry);
  const byNtpId = (ntpID: string) => [...orders.values()].find((o) => o.ntpID === ntpID);

  const paymentView = (order: NetopiaOrder, req: Request) => ({
    method: 'card',
    ntpID: order.ntpID,
    status: order.status,
    amount: Number(fromMinorUnits(order.amountMinor)),
    currency: order.currency,
    // Under the mount path too (NETOPIA live serves the API under /api/).
    paymentURL: `${req.protocol}://${req.get('host')}${req.baseUrl}/payment/card/page/${order.ntpID}`,
    operationDate: new Date(clock.now()).toISOString(),
  });

  const authorized = (req: Request, res: Response) => {
    if (req.get('authorization') === apiKey) return true;
    res.status(401).json({ code: '401', message: 'Invalid API key' });
    return false;
  };

  app.post('/payment/card/start', (req, res) => {
    if (!authorized(req, res)) return;
    const order = req.body?.order;
    const config = req.body?.config;
    const refused = startRefusals(req.body);
    if (refused.length)
      return void res.status(400).json({
        error: { code: '400', message: 'Invalid request', details: refused.map(({ field, message }) => ({ code: '400', field, message })) },
      });
    if (order.posSignature !== posSignature) return void res.status(400).json({ error: { code: '400', message: 'Unknown POS signature' } });
    // Netopia takes the amount as a JSON number; two decimals survive the round trip.
    const amountMinor = Math.round(Number(order.amount) * 100);
    const existing = orders.get(String(order.orderID));
    if (existing) return void res.json(duplicateAnswer(existing, amountMinor, req));
    const created: NetopiaOrder = {
      orderID: String(order.orderID),
      ntpID: randomBytes(8).toString('hex'),
      posSignature,
      amountMinor,
      currency: String(order.currency),
      description: String(order.description),
      status: 1,
      code: '101',
      message: 'Redirect user to payment page',
      notifyUrl: String(config.notifyUrl),
      redirectUrl: String(config.redirectUrl ?? ''),
    };
    orders.set(created.orderID, created);
    res.json({ error: { code: '101', message: 'Redirect user to payment page' }, payment: paymentView(created, req) });
  });

  /**
   * The same order id again (research §4b, R-51/R-52/R-58): another amount → 99; an order that can
   * no longer take a card (paid, confirmed, canceled, credited, declined, in review) → 56 "Order
   * closed" in exactly the documented shape (status 5 whatever the order's own status, no page);
   * an order still new → 56 with its page again (PROPOSAL: the docs list 56 "duplicated Order ID"
   * without a body; serving the page keeps a start whose answer was lost payable).
   */
  const duplicateAnswer = (existing: NetopiaOrder, amountMinor: number, req: Request) => {
    if (existing.amountMinor !== amountMinor) return { error: { code: '99', message: 'There is another order with a different price' } };
    if (existing.status !== 1) {
      const { amount, currency, ntpID } = paymentView(existing, req);
      return { customerAction: {}, error: { code: '56', message: 'Order closed' }, payment: { amount, currency, ntpID, status: 5 } };
    }
    return { error: { code: '56', message: 'Duplicated Order ID' }, payment: paymentView(existing, req) };
  };

  const capture = (order: NetopiaOrder) => {
    order.paidMs = clock.now();
    const { orderID: reference, ntpID: processorRef, amountMinor, currency } = order;
    ledger.record({ kind: 'capture', reference, processorRef, amountMinor, currency }, order.paidMs);
  };

  const payWithCard = (ntpID: string, cardNumber: string, cvv: string): NetopiaOrder | undefined => {
    const order = byNtpId(ntpID);
    if (!order || order.status !== 1) return order; // only a new order takes a card
    const digits = cardNumber.replace(/\s+/g, '');
    const verdict = judgeNetopiaCard(digits, cvv);
    Object.assign(order, {
      status: verdict.status,
      code: verdict.code,
      message: verdict.message,
      maskedCard: `${digits.slice(0, 6)}******${digits.slice(-4)}`,
    });
    if (verdict.status === 3) capture(order);
    notifier.notify(order.notifyUrl, ipnBody(order), order.posSignature);
    if (verdict.status === 13) scheduleReview(order.orderID);
    return order;
  };

  const scheduleReview = (orderID: string) => {
    if (review.outcome === 'hold') return;
    const outcome = review.outcome;
    // Real time, unref'd: a pending review never keeps a process alive.
    reviewTimers.set(orderID, setTimeout(() => decideReview(orderID, outcome), review.afterMs).unref());
  };

  const decideReview = (orderID: string, outcome: ReviewOutcome): NetopiaOrder | undefined => {
    clearTimeout(reviewTimers.get(orderID));
    reviewTimers.delete(orderID);
    const order = orders.get(orderID);
    if (!order || order.status !== 13) return order;
    if (outcome === 'approve') {
      Object.assign(order, { status: 3, code: '00', message: 'Approved' });
      capture(order);
    } else {
      Object.assign(order, { status: 12, code: '36', message: 'Transaction declined by antifraud' });
    }
    if (file.path) save(); // a timer's decision, outside any request
    notifier.notify(order.notifyUrl, ipnBody(order), order.posSignature);
    return order;
  };

  const saved = file.load();
  if (saved) {
    clock.offsetMs = saved.clockOffsetMs;
    for (const order of saved.orders) orders.set(order.orderID, order);
    ledger.entries.push(...saved.ledger);
    // Reviews pending when the simulator stopped end as if it had not.
    for (const order of saved.orders) if (order.status === 13) scheduleReview(order.orderID);
  }

  app.get('/payment/card/page/:ntpID', (req, res) => {
    const order = byNtpId(req.params.ntpID);
    if (!order) return void res.status(404).type('html').send('<h1>Unknown payment</h1>');
    res.type('html').send(order.status === 1 ? cardPage(order) : resultPage(order));
  });
  app.post('/payment/card/page/:ntpID', (req, res) => {
    const order = payWithCard(req.params.ntpID, String(req.body?.card_number ?? ''), String(req.body?.cvv ?? ''));
    if (!order) return void res.status(404).type('html').send('<h1>Unknown payment</h1>');
    res.type('html').send(resultPage(order));
  });

  app.post('/operation/status', (req, res) => {
    if (!authorized(req, res)) return;
    const order = orders.get(String(req.body?.orderID ?? '')) ?? byNtpId(String(req.body?.ntpID ?? ''));
    if (!order || req.body?.posID !== order.posSignature)
      return void res.status(404).json({ error: { code: '404', message: 'Order not found' } });
    res.json(ipnBody(order)); // the error object is the payment's own (code 00 when paid)
  });

  // Refund (research PROPOSAL: a credit operation): status 8; a second credit changes nothing.
  app.post('/operation/credit', (req, res) => {
    if (!authorized(req, res)) return;
    const order = orders.get(String(req.body?.orderID ?? ''));
    if (!order || req.body?.posID !== order.posSignature)
      return void res.status(404).json({ error: { code: '404', message: 'Order not found' } });
    if (order.status === 8) return void res.json({ ...ipnBody(order), error: { code: '56', message: 'Already credited' } });
    if (order.status !== 3 && order.status !== 5)
      return void res.status(422).json({ error: { code: '51', message: `Cannot credit an order in status ${order.status}` } });
    // A partial credit takes `amount`; without it, what is left of the order is credited.
    const left = order.amountMinor - (order.refundedMinor ?? 0);
    const credit = req.body?.amount === undefined ? left : Math.min(left, Math.round(Number(req.body.amount) * 100));
    order.refundedMinor = (order.refundedMinor ?? 0) + credit;
    if (order.refundedMinor >= order.amountMinor) order.status = 8;
    ledger.record(
      { kind: 'refund', reference: order.orderID, processorRef: order.ntpID, amountMinor: credit, currency: order.currency },
      clock.now(),
    );
    res.json({ ...ipnBody(order), error: { code: '00', message: 'Credited' } });
  });

  // Cancel an unpaid order (research PROPOSAL; Netopia's status 4 = canceled): it can no longer be paid.
  app.post('/operation/cancel', (req, res) => {
    if (!authorized(req, res)) return;
    const order = orders.get(String(req.body?.orderID ?? ''));
    if (!order || req.body?.posID !== order.posSignature)
      return void res.status(404).json({ error: { code: '404', message: 'Order not found' } });
    if (order.status === 1) Object.assign(order, { status: 4, code: '00', message: 'Canceled' });
    res.json(ipnBody(order));
  });

  app.get('/__sandbox/ledger', (_req, res) => {
    res.json({
      orders: [...orders.values()],
      entries: ledger.entries,
      heldByOrder: ledger.heldByOrder(),
      heldByJourney: ledger.heldByJourney(),
      holdingOrdersByJourney: ledger.holdingOrdersByJourney(),
    });
  });
  app.post('/__sandbox/notifications', (req, res) => {
    notifier.controls = { ...notifier.controls, ...(req.body ?? {}) };
    res.json(notifier.controls);
  });
  app.post('/__sandbox/notifications/release', async (_req, res) => {
    await notifier.release();
    res.status(204).end();
  });
  app.get('/__sandbox/notifications', (_req, res) => void res.json(notifier.delivered));
  app.get('/__sandbox/notifications/injected', (_req, res) => void res.json({ ...notifier.injected, held: notifier.heldCount }));
  app.post('/__sandbox/orders/:orderID/pay', (req, res) => {
    const order = orders.get(req.params.orderID);
    if (!order) return void res.status(404).json({ error: 'not_found' });
    res.json(payWithCard(order.ntpID, String(req.body?.cardNumber ?? ''), String(req.body?.cvv ?? '')));
  });
  app.post('/__sandbox/orders/:orderID/review', (req, res) => {
    const outcome: unknown = req.body?.outcome;
    if (outcome !== 'approve' && outcome !== 'decline') {
      return void res.status(400).json({ error: 'outcome must be "approve" or "decline"' });
    }
    const order = orders.get(req.params.orderID);
    if (!order) return void res.status(404).json({ error: 'not_found' });
    if (order.status !== 13) return void res.status(409).json({ error: 'not_in_review', status: order.status });
    res.json(decideReview(order.orderID, outcome));
  });

  return { ...sandbox, orders, ledger, notifier, payWithCard, decideReview };
}

interface Refusal {
  field: string;
  message: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const present = (value: unknown) => value !== undefined && value !== null && value !== '';

/**
 * Why a start is refused, field by field: what the simulator needs, plus what NETOPIA's Go SDK
 * (requests/validation.go) refuses — no description, a dateTime that is not RFC 3339, a billing
 * without email, firstName, lastName, city or a positive numeric country (ISO 3166, 642 = RO).
 */
export function startRefusals(body: unknown): Refusal[] {
  const { order, config } = (body ?? {}) as { order?: Record<string, unknown>; config?: Record<string, unknown> };
  const billing = (order?.billing ?? {}) as Record<string, unknown>;
  const refusals: Refusal[] = [];
  const required = (field: string, value: unknown) => void (present(value) || refusals.push({ field, message: 'is required' }));
  for (const field of ['orderID', 'amount', 'currency', 'posSignature', 'description']) required(`order.${field}`, order?.[field]);
  required('config.notifyUrl', config?.notifyUrl);
  const dateTime = order?.dateTime;
  if (typeof dateTime !== 'string' || !RFC3339.test(dateTime) || Number.isNaN(Date.parse(dateTime)))
    refusals.push({ field: 'order.dateTime', message: 'must be in RFC3339 format' });
  for (const field of ['email', 'firstName', 'lastName', 'city']) required(`order.billing.${field}`, billing[field]);
  const country = billing.country;
  if (typeof country !== 'number' || !Number.isInteger(country) || country <= 0)
    refusals.push({ field: 'order.billing.country', message: 'must be a positive ISO 3166 numeric code' });
  return refusals;
}

/** The IPN body (and the status answer): order, payment and error. */
export function ipnBody(order: NetopiaOrder) {
  return {
    order: { orderID: order.orderID },
    payment: {
      method: 'card',
      ntpID: order.ntpID,
      status: order.status,
      amount: Number(fromMinorUnits(order.amountMinor)),
      refundedAmount: Number(fromMinorUnits(order.refundedMinor ?? 0)),
      currency: order.currency,
      maskedCard: order.maskedCard,
      // When the money moved (paid, and still so once credited), by the simulator's clock.
      operationDate: order.paidMs === undefined ? undefined : new Date(order.paidMs).toISOString(),
    },
    error: { code: order.code, message: order.message },
  };
}

function cardPage(order: NetopiaOrder): string {
  const amount = `${fromMinorUnits(order.amountMinor)} ${order.currency}`;
  return `<!doctype html><html lang="ro"><head><meta charset="utf-8"><title>NETOPIA Payments (sandbox)</title></head><body>
<h1>Plată ${escapeHtml(amount)}</h1><p>${escapeHtml(order.description)}</p>
<form method="post" action="${order.ntpID}">
<label>Card number <input id="card_number" name="card_number" autocomplete="cc-number" inputmode="numeric" required></label><br>
<label>Expiry <input id="exp_date" name="exp_date" placeholder="MM/YY" autocomplete="cc-exp"></label><br>
<label>CVV <input id="cvv" name="cvv" autocomplete="cc-csc"></label><br>
<label>Card holder <input id="holder" name="holder" value="Test Test"></label><br>
<button id="pay" type="submit">Pay ${escapeHtml(amount)}</button></form></body></html>`;
}

const RESULT_TEXT: Record<number, string> = {
  3: 'Payment approved',
  4: 'Payment canceled',
  5: 'Payment approved',
  8: 'Payment refunded',
  13: 'Payment in review',
};

function resultPage(order: NetopiaOrder): string {
  const text = RESULT_TEXT[order.status] ?? `Payment declined: ${order.message} (${order.code})`;
  const back = order.redirectUrl ? `<p><a id="back" href="${escapeHtml(order.redirectUrl)}">Back to the merchant</a></p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(text)}</title></head><body>
<h1 id="result" data-status="${order.status}">${escapeHtml(text)}</h1>${back}</body></html>`;
}
