import { createHmac, randomBytes } from 'node:crypto';
import { type Request, type Response } from 'express';
import { escapeHtml } from '../../domain/html';
import { fromMinorUnits, toMinorUnits } from '../../domain/money';
import { allowFormTargets, createSandboxApp, type Sandbox } from '../harness';
import { Ledger, type LedgerEntry } from '../ledger';
import { StateFile } from '../state-file';
import { fieldErrors } from './card-fields';

// EPX Browser Post simulator (research §5), one port, each EPX host under its own path prefix
// (see EPX_PATHS): key exchange, Browser Post and Server Post are separate hosts at EPX.
// Confirmed by the research: key exchange → TAC (expires after 4 hours, one Browser Post each); the
// browser posts the card, the TAC and the 4-part key to Browser Post, which compares the posted
// values with the TAC (BP_102), the 4-part key with the merchant's (BP_103) — such configuration
// errors end on an EPX error page, never at the merchant — checks the fields (BP_FIELD_ERRORS,
// FE_001/002/003, card numbers MOD-10) and redirects (an auto-submitting form POST) to
// REDIRECT_URL with AUTH_RESP, AUTH_GUID, TRAN_NBR…; AUTH_RESP 00 approved, 05 do not honor,
// 51 insufficient funds, 54 expired; test card 4000000000000002 approved; Server Post TRAN_TYPE
// CCE9 refund, CCEX void.
// ASSUMPTIONS (not public):
// - the redirect carries RESP_TIMESTAMP and RESP_MAC (HMAC-SHA256 with the merchant MAC key, see
//   signRedirect); a real EPX may send neither, so signing can be switched off (signRedirects);
// - USER_DATA_1 comes back with the merchant's order reference;
// - decline test cards (MOD-10 valid) 4000000000000051 → 51, 4000000000000515 → 05, 4000000000000549 → 54;
// - a field error consumes the TAC ("every submission must carry a unique TAC"), with no sale,
//   and its redirect carries BP_RESP_CODE BP_000 with BP_FIELD_ERRORS and no AUTH_RESP;
// - the status look-up (POST <Server Post>/status) by TRAN_NBR: one <FIELDS> block per sale
//   (STATE, AUTH_RESP, AUTH_GUID, AUTH_AMOUNT, REFUNDED_AMOUNT, AUTH_TRAN_DATE_GMT ISO 8601 UTC,
//   BP_FIELD_ERRORS), or one STATE=pending block before any;
// - nothing deduplicates TRAN_NBR (none is documented): a second key exchange for the same
//   TRAN_NBR gets a new TAC and the first stays valid; paying both makes two sales, both approved.
// The key exchange carries no currency: EPX books in the merchant account's (option `currency`).

/** The script that submits the redirect's form (served under Browser Post). */
const AUTO_SUBMIT = 'auto-submit.js';

/** Where each EPX host lives on the simulator's one port. */
export const EPX_PATHS = { keyExchange: '/keyexchange', browserPost: '/browserpost', serverPost: '/serverpost' } as const;

/** The three base URLs of a simulator listening at `origin` (what EPX_*_URL point at). */
export function epxSandboxUrls(origin: string): { keyExchangeUrl: string; browserPostUrl: string; serverPostUrl: string } {
  const root = origin.replace(/\/$/, '');
  return {
    keyExchangeUrl: `${root}${EPX_PATHS.keyExchange}`,
    browserPostUrl: `${root}${EPX_PATHS.browserPost}`,
    serverPostUrl: `${root}${EPX_PATHS.serverPost}`,
  };
}

export interface EpxSandboxOptions {
  mac?: string;
  fourPartKey?: FourPartKey;
  tacLifetimeMs?: number;
  /** The merchant account's currency (default USD). */
  currency?: string;
  /** Sign the redirect with RESP_MAC/RESP_TIMESTAMP (default true; the real EPX may not). */
  signRedirects?: boolean;
  /** Keep the state in <dataDir>/simulators/epx.json (a restart continues); in memory only without. */
  dataDir?: string;
}

type FourPartKey = { CUST_NBR: string; MERCH_NBR: string; DBA_NBR: string; TERMINAL_NBR: string };

/** One key exchange: its TAC, and what the one Browser Post it allows did. */
export interface EpxTransaction {
  tranNbr: string;
  tac: string;
  reference: string;
  amountMinor: number;
  redirectUrl: string;
  createdMs: number;
  used: boolean;
  /** Sim-clock instant of its Browser Post. */
  postedMs?: number;
  authResp?: string;
  authGuid?: string;
  /** BP_FIELD_ERRORS of a submission refused field by field (no sale). */
  fieldErrors?: string;
  /** Sim-clock instant of the approval. */
  approvedMs?: number;
  refunded?: boolean;
  refundedMinor?: number;
}

export interface EpxSandbox extends Sandbox {
  /** Every key exchange, by TAC (several may share a TRAN_NBR). */
  transactions: Map<string, EpxTransaction>;
  ledger: Ledger;
  mac: string;
  fourPartKey: FourPartKey;
  /** What Browser Post does with a form: the fields it redirects with (or a BP configuration error). */
  browserPost(fields: Record<string, string>): { redirectUrl: string; fields: Record<string, string> } | { error: string };
  /** Whether redirects carry RESP_MAC/RESP_TIMESTAMP from now on. */
  signRedirects(on: boolean): void;
}

const AUTH_TEXT: Record<string, string> = { '00': 'APPROVAL', '05': 'DO NOT HONOR', '51': 'INSUFFICIENT FUNDS', '54': 'EXPIRED CARD' };
const SANDBOX_CARDS: Record<string, string> = {
  '4000000000000002': '00',
  '4000000000000051': '51',
  '4000000000000515': '05',
  '4000000000000549': '54',
};
const TRAN_GROUPS = ['SALE', 'AUTH', 'STORAGE'];
const BP_TEXT: Record<string, string> = {
  BP_100: 'Missing TAC',
  BP_101: 'TAC decryption error',
  BP_102: 'Invalid TAC parameter',
  BP_103: 'TAC validation – 4-part key mismatch',
};

/** ASSUMPTION: how EPX signs the redirect (the public material does not say). */
export function signRedirect(fields: Record<string, string>, mac: string): string {
  const canonical = Object.keys(fields)
    .filter((k) => k !== 'RESP_MAC')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHmac('sha256', mac).update(canonical).digest('hex');
}

function maskedCard(pan: string): string {
  return pan ? `${'X'.repeat(Math.max(0, pan.length - 4))}${pan.slice(-4)}` : '';
}

function xmlFields(fields: Record<string, string>): string {
  return `<FIELDS>${Object.entries(fields)
    .map(([k, v]) => `<FIELD KEY="${k}">${escapeHtml(v)}</FIELD>`)
    .join('')}</FIELDS>`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

export function createEpxSandbox(options: EpxSandboxOptions = {}): EpxSandbox {
  const mac = options.mac ?? 'sandbox-epx-mac-key';
  const key = options.fourPartKey ?? { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' };
  const tacLifetimeMs = options.tacLifetimeMs ?? 4 * 3600_000;
  const currency = options.currency ?? 'USD';
  let signing = options.signRedirects ?? true;
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
    for (const tx of saved.transactions) transactions.set(tx.tac, tx);
    ledger.entries.push(...saved.ledger);
  }
  const xml = (res: Response, fields: Record<string, string> | Array<Record<string, string>>, status = 200) =>
    res
      .status(status)
      .type('application/xml')
      .send(`<RESPONSE>${(Array.isArray(fields) ? fields : [fields]).map(xmlFields).join('')}</RESPONSE>`);
  const keyMatches = (body: Record<string, unknown>) => Object.entries(key).every(([k, v]) => body[k] === v);
  const salesOf = (tranNbr: string) => [...transactions.values()].filter((t) => t.tranNbr === tranNbr);

  app.post(EPX_PATHS.keyExchange, (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (body.MAC !== mac) return void xml(res, { BP_RESP_CODE: 'BP_104', BP_RESP_TEXT: 'Merchant configuration not found' }, 401);
    const missing = ['AMOUNT', 'TRAN_NBR', 'TRAN_GROUP', 'REDIRECT_URL'].filter((f) => !body[f]);
    const invalid = [
      ...missing,
      ...(body.TRAN_NBR && !/^\d{1,10}$/.test(body.TRAN_NBR) ? ['TRAN_NBR'] : []),
      ...(body.TRAN_GROUP && !TRAN_GROUPS.includes(body.TRAN_GROUP) ? ['TRAN_GROUP'] : []),
      ...(body.AMOUNT && !/^\d+(\.\d{1,2})?$/.test(body.AMOUNT) ? ['AMOUNT'] : []),
    ];
    if (invalid.length) return void xml(res, { BP_RESP_CODE: 'BP_102', BP_RESP_TEXT: `Invalid TAC parameter: ${invalid.join(',')}` }, 400);
    // No dedupe on TRAN_NBR: every exchange is a new TAC, earlier ones stay valid until used or expired.
    const tac = randomBytes(24).toString('base64url');
    transactions.set(tac, {
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

  /** BP_1xx: the configuration errors EPX shows on its own page (the merchant never hears of them). */
  const configurationError = (fields: Record<string, string>, tx: EpxTransaction | undefined): string | undefined => {
    if (!fields.TAC) return 'BP_100';
    if (!tx || tx.used || clock.now() - tx.createdMs > tacLifetimeMs) return 'BP_101';
    if (!keyMatches(fields)) return 'BP_103';
    const tampered =
      fields.TRAN_NBR !== tx.tranNbr ||
      (fields.AMOUNT && toMinorUnits(fields.AMOUNT) !== tx.amountMinor) ||
      (fields.REDIRECT_URL && fields.REDIRECT_URL !== tx.redirectUrl);
    return tampered ? 'BP_102' : undefined;
  };

  const authorize = (tx: EpxTransaction, pan: string): void => {
    tx.authResp = SANDBOX_CARDS[pan] ?? '05';
    tx.authGuid = `09L${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 19);
    if (tx.authResp !== '00') return;
    // A second sale under the same TRAN_NBR is booked like the first: EPX does not dedupe.
    tx.approvedMs = clock.now();
    const { reference, authGuid: processorRef, amountMinor } = tx;
    ledger.record({ kind: 'capture', reference, processorRef, amountMinor, currency }, tx.approvedMs);
  };

  const redirectFields = (tx: EpxTransaction, pan: string, tranGroup: string): Record<string, string> => {
    const common = {
      TRAN_NBR: tx.tranNbr,
      TRAN_GROUP: tranGroup,
      BP_RESP_CODE: 'BP_000',
      BP_RESP_TEXT: 'Success',
      USER_DATA_1: tx.reference,
    };
    if (tx.fieldErrors) return { ...common, BP_FIELD_ERRORS: tx.fieldErrors, AUTH_AMOUNT_REQUESTED: fromMinorUnits(tx.amountMinor) };
    const approved = tx.authResp === '00';
    return {
      AUTH_GUID: tx.authGuid!,
      AUTH_RESP: tx.authResp!,
      AUTH_CODE: approved ? randomBytes(3).toString('hex').toUpperCase() : '',
      AUTH_RESP_TEXT: AUTH_TEXT[tx.authResp!] ?? 'DECLINED',
      AUTH_AMOUNT: fromMinorUnits(approved ? tx.amountMinor : 0),
      AUTH_AMOUNT_REQUESTED: fromMinorUnits(tx.amountMinor),
      AUTH_CARD_TYPE: 'V',
      AUTH_MASKED_ACCOUNT_NBR: maskedCard(pan),
      ...common,
    };
  };

  const browserPost: EpxSandbox['browserPost'] = (fields) => {
    const tx = fields.TAC ? transactions.get(fields.TAC) : undefined;
    const error = configurationError(fields, tx);
    if (error || !tx) return { error: error ?? 'BP_101' };
    tx.used = true;
    tx.postedMs = clock.now();
    const pan = (fields.ACCOUNT_NBR ?? '').replace(/\s+/g, '');
    const errors = fieldErrors({ ...fields, ACCOUNT_NBR: pan });
    if (errors) tx.fieldErrors = errors;
    else authorize(tx, pan);
    const out = redirectFields(tx, pan, fields.TRAN_GROUP ?? 'SALE');
    if (signing) {
      out.RESP_TIMESTAMP = String(Math.floor(clock.now() / 1000));
      out.RESP_MAC = signRedirect(out, mac);
    }
    return { redirectUrl: tx.redirectUrl, fields: out };
  };

  // The hosted form (the simulator's own page: Browser Post itself has none). The merchant's
  // values — TAC and 4-part key — come in the link, as a merchant's page would render them; it
  // posts to Browser Post relative to itself, so the form works under any base path.
  app.get(`${EPX_PATHS.browserPost}/pay`, (req, res) => {
    const tx = transactions.get(String(req.query.TAC ?? ''));
    if (!tx || tx.used) return void res.status(410).type('html').send('<h1 id="result">This payment link is no longer valid (BP_101)</h1>');
    const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
    const keyFields = Object.keys(key).map((k) => hidden(k, String(req.query[k] ?? '')));
    res.type('html').send(
      page(
        'EPX secure payment (sandbox)',
        `<h1>Pay ${fromMinorUnits(tx.amountMinor)}</h1>
<form method="post" action="./">
${[
  hidden('TAC', tx.tac),
  ...keyFields,
  hidden('TRAN_NBR', tx.tranNbr),
  hidden('AMOUNT', fromMinorUnits(tx.amountMinor)),
  hidden('TRAN_GROUP', 'SALE'),
  hidden('INDUSTRY_TYPE', 'E'),
  hidden('REDIRECT_URL', tx.redirectUrl),
].join('')}
<label>Card number <input id="card_number" name="ACCOUNT_NBR" autocomplete="cc-number" required></label><br>
<label>Expiry (YYMM) <input id="exp_date" name="EXP_DATE"></label><br>
<label>CVV <input id="cvv" name="CVV2"></label><br>
<label>ZIP <input id="zip" name="ZIP_CODE" value="12345"></label><br>
<button id="pay" type="submit">Pay</button></form>`,
      ),
    );
  });

  app.post(EPX_PATHS.browserPost, (req: Request, res: Response) => {
    const result = browserPost((req.body ?? {}) as Record<string, string>);
    if ('error' in result)
      return void res
        .status(400)
        .type('html')
        .send(`<h1 id="result">Payment refused: ${escapeHtml(BP_TEXT[result.error] ?? '')} (${result.error})</h1>`);
    // Post-redirect: the browser carries the result (field errors included) to the merchant, by a
    // form its script file submits (no inline script under the CSP), relative to this page's URL.
    const script = req.path.endsWith('/') ? AUTO_SUBMIT : `${EPX_PATHS.browserPost.split('/').pop()}/${AUTO_SUBMIT}`;
    allowFormTargets(res, result.redirectUrl);
    res.type('html').send(`<!doctype html><html><body>
<form method="post" action="${escapeHtml(result.redirectUrl)}">${Object.entries(result.fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`)
      .join('')}<noscript><button type="submit">Continue</button></noscript></form>
<script src="${script}"></script></body></html>`);
  });
  app.get(`${EPX_PATHS.browserPost}/${AUTO_SUBMIT}`, (_req, res) => void res.type('text/javascript').send('document.forms[0].submit();\n'));

  // Server Post: refund (CCE9) or void (CCEX) of an approved sale, by its AUTH_GUID.
  app.post(EPX_PATHS.serverPost, (req, res) => {
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

  const saleRecord = (tx: EpxTransaction): Record<string, string> => ({
    STATE: tx.refunded ? 'refunded' : tx.authResp === '00' ? 'approved' : 'declined',
    TRAN_NBR: tx.tranNbr,
    AUTH_RESP: tx.authResp ?? '',
    AUTH_RESP_TEXT: AUTH_TEXT[tx.authResp ?? ''] ?? '',
    AUTH_GUID: tx.authGuid ?? '',
    AUTH_AMOUNT: fromMinorUnits(tx.approvedMs === undefined ? 0 : tx.amountMinor),
    AUTH_TRAN_DATE_GMT: tx.approvedMs === undefined ? '' : new Date(tx.approvedMs).toISOString(),
    REFUNDED_AMOUNT: fromMinorUnits(tx.refundedMinor ?? 0),
    BP_FIELD_ERRORS: tx.fieldErrors ?? '',
  });

  // ASSUMPTION: a status look-up by TRAN_NBR on the Server Post host (the poll backstop when the
  // redirect is lost): every sale made under it, in the order they were made.
  app.post(`${EPX_PATHS.serverPost}/status`, (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!keyMatches(body)) return void xml(res, { AUTH_RESP: 'RR', AUTH_RESP_TEXT: '4-part key mismatch' }, 401);
    const exchanged = salesOf(body.TRAN_NBR ?? '');
    if (!exchanged.length) return void xml(res, { STATE: 'unknown' }, 404);
    const sales = exchanged.filter((t) => t.used).sort((a, b) => (a.postedMs ?? 0) - (b.postedMs ?? 0));
    xml(res, sales.length ? sales.map(saleRecord) : { STATE: 'pending', TRAN_NBR: body.TRAN_NBR! });
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
  app.post('/__sandbox/redirect-mac', (req, res) => {
    signing = req.body?.sign !== false && req.body?.sign !== 'false';
    res.json({ signRedirects: signing });
  });
  app.post('/__sandbox/tac/:tac/pay', (req, res) => {
    const tx = transactions.get(req.params.tac);
    if (!tx) return void res.status(404).json({ error: 'unknown TAC' });
    const result = browserPost({
      ...key,
      TAC: tx.tac,
      TRAN_NBR: tx.tranNbr,
      AMOUNT: fromMinorUnits(tx.amountMinor),
      ACCOUNT_NBR: String(req.body?.cardNumber ?? ''),
      EXP_DATE: String(req.body?.expDate ?? '3012'),
    });
    res.status('error' in result ? 400 : 200).json(result);
  });

  const signRedirects = (on: boolean) => void (signing = on);
  return { ...sandbox, transactions, ledger, mac, fourPartKey: key, browserPost, signRedirects };
}
