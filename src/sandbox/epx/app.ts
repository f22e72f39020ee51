import { createHmac, randomBytes } from 'node:crypto';
import { type Request, type Response } from 'express';
import { escapeHtml } from '../../domain/html';
import { fromMinorUnits, toMinorUnits } from '../../domain/money';
import { createSandboxApp, type Sandbox } from '../harness';
import { Ledger, type LedgerEntry } from '../ledger';
import { StateFile } from '../state-file';

// EPX Browser Post simulator (research §5).
// Confirmed by the research: key exchange → TAC (single use, expires after 4 hours); the browser
// posts the card with the TAC to Browser Post, which compares the posted values with the TAC and
// redirects (an auto-submitting form POST) to REDIRECT_URL with AUTH_RESP, AUTH_GUID, TRAN_NBR…;
// AUTH_RESP 00 approved, 05 do not honor, 51 insufficient funds, 54 expired; test card
// 4000000000000002 approved; Server Post TRAN_TYPE CCE9 refund, CCEX void; BP_1xx validation codes.
// ASSUMPTIONS (not public): the redirect carries RESP_TIMESTAMP and RESP_MAC (HMAC-SHA256 with the
// merchant MAC key, see signRedirect); USER_DATA_1 carries the merchant's order reference;
// decline test cards 40000000000000{05,51,54}; a status look-up (POST /status) by TRAN_NBR that
// answers STATE, AUTH_AMOUNT (captured) and AUTH_TRAN_DATE_GMT (ISO 8601 UTC instant of the approval).
// The key exchange carries no currency: EPX books in the merchant account's (option `currency`).

export interface EpxSandboxOptions {
  mac?: string;
  fourPartKey?: { CUST_NBR: string; MERCH_NBR: string; DBA_NBR: string; TERMINAL_NBR: string };
  tacLifetimeMs?: number;
  /** The merchant account's currency (default USD). */
  currency?: string;
  /** Keep the state in <dataDir>/simulators/epx.json (a restart continues); in memory only without. */
  dataDir?: string;
}

export interface EpxTransaction {
  tranNbr: string;
  tac: string;
  reference: string;
  amountMinor: number;
  redirectUrl: string;
  createdMs: number;
  used: boolean;
  authResp?: string;
  authGuid?: string;
  /** Sim-clock instant of the approval. */
  approvedMs?: number;
  refunded?: boolean;
  refundedMinor?: number;
}

export interface EpxSandbox extends Sandbox {
  transactions: Map<string, EpxTransaction>;
  ledger: Ledger;
  mac: string;
  /** What Browser Post does with a card: the fields it redirects with (or a BP error code). */
  browserPost(fields: Record<string, string>): { redirectUrl: string; fields: Record<string, string> } | { error: string };
}

const AUTH_TEXT: Record<string, string> = { '00': 'APPROVAL', '05': 'DO NOT HONOR', '51': 'INSUFFICIENT FUNDS', '54': 'EXPIRED CARD' };

/** ASSUMPTION: how EPX signs the redirect (the public material does not say). */
export function signRedirect(fields: Record<string, string>, mac: string): string {
  const canonical = Object.keys(fields)
    .filter((k) => k !== 'RESP_MAC')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHmac('sha256', mac).update(canonical).digest('hex');
}

export function createEpxSandbox(options: EpxSandboxOptions = {}): EpxSandbox {
  const mac = options.mac ?? 'sandbox-epx-mac-key';
  const key = options.fourPartKey ?? { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' };
  const tacLifetimeMs = options.tacLifetimeMs ?? 4 * 3600_000;
  const currency = options.currency ?? 'USD';
  const transactions = new Map<string, EpxTransaction>();
  const ledger = new Ledger();
  const file = new StateFile<{ clockOffsetMs: number; transactions: EpxTransaction[]; ledger: LedgerEntry[] }>(options.dataDir, 'epx');
  const sandbox = createSandboxApp(
    () => {
      transactions.clear();
      ledger.clear();
    },
    file.path
      ? () => file.save({ clockOffsetMs: clock.offsetMs, transactions: [...transactions.values()], ledger: ledger.entries })
      : undefined,
  );
  const { app, clock } = sandbox;
  const saved = file.load();
  if (saved) {
    clock.offsetMs = saved.clockOffsetMs;
    for (const tx of saved.transactions) transactions.set(tx.tranNbr, tx);
    ledger.entries.push(...saved.ledger);
  }
  const xml = (res: Response, fields: Record<string, string>, status = 200) =>
    res
      .status(status)
      .type('application/xml')
      .send(
        `<RESPONSE><FIELDS>${Object.entries(fields)
          .map(([k, v]) => `<FIELD KEY="${k}">${escapeHtml(v)}</FIELD>`)
          .join('')}</FIELDS></RESPONSE>`,
      );
  const byTac = (tac: string) => [...transactions.values()].find((t) => t.tac === tac);
  const keyMatches = (body: Record<string, unknown>) => Object.entries(key).every(([k, v]) => body[k] === v);

  app.post('/keyexchange', (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (body.MAC !== mac) return void xml(res, { BP_RESP_CODE: 'BP_104', BP_RESP_TEXT: 'Merchant configuration not found' }, 401);
    const missing = ['AMOUNT', 'TRAN_NBR', 'TRAN_GROUP', 'REDIRECT_URL'].filter((f) => !body[f]);
    if (missing.length || !/^\d{1,10}$/.test(body.TRAN_NBR ?? ''))
      return void xml(res, { BP_RESP_CODE: 'BP_102', BP_RESP_TEXT: `Invalid TAC parameter: ${missing.join(',') || 'TRAN_NBR'}` }, 400);
    const existing = transactions.get(body.TRAN_NBR!);
    if (existing?.used) return void xml(res, { BP_RESP_CODE: 'BP_102', BP_RESP_TEXT: 'TRAN_NBR already used' }, 409);
    const tac = randomBytes(24).toString('base64url');
    transactions.set(body.TRAN_NBR!, {
      tranNbr: body.TRAN_NBR!,
      tac,
      reference: body.USER_DATA_1 ?? body.TRAN_NBR!,
      amountMinor: toMinorUnits(body.AMOUNT!),
      redirectUrl: body.REDIRECT_URL!,
      createdMs: clock.now(),
      used: false,
    });
    xml(res, { TAC: tac });
  });

  const browserPost: EpxSandbox['browserPost'] = (fields) => {
    const tx = fields.TAC ? byTac(fields.TAC) : undefined;
    if (!fields.TAC) return { error: 'BP_100' };
    if (!tx || tx.used || clock.now() - tx.createdMs > tacLifetimeMs) return { error: 'BP_101' };
    if (
      fields.TRAN_NBR !== tx.tranNbr ||
      (fields.AMOUNT && toMinorUnits(fields.AMOUNT) !== tx.amountMinor) ||
      (fields.REDIRECT_URL && fields.REDIRECT_URL !== tx.redirectUrl)
    ) {
      return { error: 'BP_102' }; // posted values differ from the TAC: tampered
    }
    tx.used = true;
    const pan = (fields.ACCOUNT_NBR ?? '').replace(/\s+/g, '');
    const authResp = pan === '4000000000000002' ? '00' : (/^40000000000000(05|51|54)$/.exec(pan)?.[1] ?? '05');
    tx.authResp = authResp;
    tx.authGuid = `09L${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 19);
    if (authResp === '00') {
      tx.approvedMs = clock.now();
      const { reference, authGuid: processorRef, amountMinor } = tx;
      ledger.record({ kind: 'capture', reference, processorRef, amountMinor, currency }, tx.approvedMs);
    }
    const out: Record<string, string> = {
      AUTH_GUID: tx.authGuid,
      AUTH_RESP: authResp,
      AUTH_CODE: authResp === '00' ? randomBytes(3).toString('hex').toUpperCase() : '',
      AUTH_RESP_TEXT: AUTH_TEXT[authResp] ?? 'DECLINED',
      AUTH_AMOUNT: fromMinorUnits(authResp === '00' ? tx.amountMinor : 0),
      AUTH_AMOUNT_REQUESTED: fromMinorUnits(tx.amountMinor),
      AUTH_CARD_TYPE: 'V',
      AUTH_MASKED_ACCOUNT_NBR: pan ? `${'X'.repeat(Math.max(0, pan.length - 4))}${pan.slice(-4)}` : '',
      TRAN_NBR: tx.tranNbr,
      TRAN_GROUP: fields.TRAN_GROUP ?? 'SALE',
      BP_RESP_CODE: 'BP_000',
      USER_DATA_1: tx.reference,
      RESP_TIMESTAMP: String(Math.floor(clock.now() / 1000)),
    };
    out.RESP_MAC = signRedirect(out, mac);
    return { redirectUrl: tx.redirectUrl, fields: out };
  };

  // The Hosted Pay Page: the card is typed here, never at the merchant.
  app.get('/browserpost/pay', (req, res) => {
    const tx = byTac(String(req.query.TAC ?? ''));
    if (!tx || tx.used) return void res.status(410).type('html').send('<h1 id="result">This payment link is no longer valid (BP_101)</h1>');
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>EPX secure payment (sandbox)</title></head><body>
<h1>Pay ${fromMinorUnits(tx.amountMinor)}</h1>
<form method="post" action="/browserpost">
<input type="hidden" name="TAC" value="${escapeHtml(tx.tac)}"><input type="hidden" name="TRAN_NBR" value="${tx.tranNbr}">
<input type="hidden" name="AMOUNT" value="${fromMinorUnits(tx.amountMinor)}"><input type="hidden" name="TRAN_GROUP" value="SALE">
<input type="hidden" name="REDIRECT_URL" value="${escapeHtml(tx.redirectUrl)}">
<label>Card number <input id="card_number" name="ACCOUNT_NBR" autocomplete="cc-number" required></label><br>
<label>Expiry (YYMM) <input id="exp_date" name="EXP_DATE"></label><br>
<label>CVV <input id="cvv" name="CVV2"></label><br>
<label>ZIP <input id="zip" name="ZIP_CODE" value="12345"></label><br>
<button id="pay" type="submit">Pay</button></form></body></html>`);
  });

  app.post('/browserpost', (req: Request, res: Response) => {
    const result = browserPost((req.body ?? {}) as Record<string, string>);
    if ('error' in result) return void res.status(400).type('html').send(`<h1 id="result">Payment refused (${result.error})</h1>`);
    // Post-redirect: the browser carries the result to the merchant.
    res.type('html').send(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${escapeHtml(result.redirectUrl)}">${Object.entries(result.fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`)
      .join('')}<noscript><button type="submit">Continue</button></noscript></form></body></html>`);
  });

  // Server Post: refund (CCE9) or void (CCEX) of an approved sale, by its AUTH_GUID.
  app.post('/', (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!keyMatches(body)) return void xml(res, { AUTH_RESP: 'RR', AUTH_RESP_TEXT: '4-part key mismatch' }, 401);
    if (body.TRAN_TYPE !== 'CCE9' && body.TRAN_TYPE !== 'CCEX')
      return void xml(res, { AUTH_RESP: '12', AUTH_RESP_TEXT: `unsupported TRAN_TYPE ${body.TRAN_TYPE ?? ''}` }, 400);
    const original = [...transactions.values()].find((t) => t.authGuid && t.authGuid === body.ORIG_AUTH_GUID);
    if (!original || original.authResp !== '00') return void xml(res, { AUTH_RESP: '12', AUTH_RESP_TEXT: 'INVALID TRANSACTION' });
    if (original.refunded) return void xml(res, { AUTH_RESP: '12', AUTH_RESP_TEXT: 'ALREADY REFUNDED', AUTH_GUID: original.authGuid! });
    const left = original.amountMinor - (original.refundedMinor ?? 0);
    const refund = body.AMOUNT ? Math.min(left, toMinorUnits(body.AMOUNT)) : left;
    original.refundedMinor = (original.refundedMinor ?? 0) + refund;
    original.refunded = original.refundedMinor >= original.amountMinor;
    const guid = `09R${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 19);
    ledger.record({ kind: 'refund', reference: original.reference, processorRef: guid, amountMinor: refund, currency }, clock.now());
    xml(res, { AUTH_RESP: '00', AUTH_RESP_TEXT: 'APPROVAL', AUTH_GUID: guid, TRAN_NBR: body.TRAN_NBR ?? '' });
  });

  // ASSUMPTION: a status look-up by TRAN_NBR (the poll backstop when the redirect is lost).
  app.post('/status', (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!keyMatches(body)) return void xml(res, { AUTH_RESP: 'RR', AUTH_RESP_TEXT: '4-part key mismatch' }, 401);
    const tx = transactions.get(body.TRAN_NBR ?? '');
    if (!tx) return void xml(res, { STATE: 'unknown' }, 404);
    const state = tx.refunded ? 'refunded' : !tx.used ? 'pending' : tx.authResp === '00' ? 'approved' : 'declined';
    xml(res, {
      STATE: state,
      TRAN_NBR: tx.tranNbr,
      AUTH_RESP: tx.authResp ?? '',
      AUTH_RESP_TEXT: AUTH_TEXT[tx.authResp ?? ''] ?? '',
      AUTH_GUID: tx.authGuid ?? '',
      AUTH_AMOUNT: fromMinorUnits(tx.approvedMs === undefined ? 0 : tx.amountMinor),
      AUTH_TRAN_DATE_GMT: tx.approvedMs === undefined ? '' : new Date(tx.approvedMs).toISOString(),
      REFUNDED_AMOUNT: fromMinorUnits(tx.refundedMinor ?? 0),
    });
  });

  app.get('/__sandbox/ledger', (_req, res) => {
    res.json({
      transactions: [...transactions.values()].map(({ tac: _tac, ...t }) => t),
      entries: ledger.entries,
      heldByOrder: ledger.heldByOrder(),
      heldByJourney: ledger.heldByJourney(),
      holdingOrdersByJourney: ledger.holdingOrdersByJourney(),
    });
  });
  app.post('/__sandbox/tac/:tac/pay', (req, res) => {
    const tx = byTac(req.params.tac);
    if (!tx) return void res.status(404).json({ error: 'unknown TAC' });
    const result = browserPost({
      TAC: tx.tac,
      TRAN_NBR: tx.tranNbr,
      AMOUNT: fromMinorUnits(tx.amountMinor),
      ACCOUNT_NBR: String(req.body?.cardNumber ?? ''),
    });
    res.status('error' in result ? 400 : 200).json(result);
  });

  return { ...sandbox, transactions, ledger, mac, browserPost };
}
