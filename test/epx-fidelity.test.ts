import express from 'express';
import { EpxClient, epxRedirectOutcome, RedirectRejected, verifyEpxRedirect, type EpxSettings } from '../src/activities/epx/client';
import { createPaymentActivities } from '../src/activities/payments';
import { loadConfig } from '../src/config';
import { FailureType } from '../src/domain/failures';
import { createEpxSandbox, EPX_PATHS, epxSandboxUrls, signRedirect, type EpxSandbox } from '../src/sandbox/epx/app';
import { passesLuhn } from '../src/sandbox/epx/card-fields';
import { listen, type Listening } from '../src/sandbox/harness';
import { failure } from './support/failure';

// EPX as the research describes it (fidelity audit rows ): three hosts,
// an optional (assumed) response MAC, the 4-part key and field errors of Browser Post, and what
// two live TACs for one order do to the money.

const EPX_KEY = { CUST_NBR: '9001', MERCH_NBR: '900300', DBA_NBR: '2', TERMINAL_NBR: '77' };
const amount = { value: '10.50', currency: 'USD' };
const BACK = 'http://127.0.0.1/back';
const servers: Listening[] = [];
let epx: EpxSandbox;
let client: EpxClient;
let settings: EpxSettings;

/** One EPX host: only its own part of the simulator, under a path of its own. */
async function host(prefix: string, only: string): Promise<string> {
  const outer = express();
  outer.use(prefix, (req, res, next) => (req.path.startsWith(only) ? epx.app(req, res, next) : void res.status(404).send('not this host')));
  const server = await listen(outer, 0);
  servers.push(server);
  return `${server.url}${prefix}${only}`;
}

beforeAll(async () => {
  epx = createEpxSandbox();
  settings = {
    keyExchangeUrl: await host('/kx', EPX_PATHS.keyExchange),
    browserPostUrl: `${await host('/bp', EPX_PATHS.browserPost)}/`,
    serverPostUrl: await host('/sp', EPX_PATHS.serverPost),
    mac: epx.mac,
    fourPartKey: EPX_KEY,
    timeoutMs: 2000,
  };
  client = new EpxClient(settings);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
afterEach(() => {
  epx.signRedirects(true);
  epx.clock.reset();
});

const open = (orderId: string, using = client) => using.keyExchange({ orderId, amount, redirectUrl: BACK });
const tacOf = (url: string) => new URL(url).searchParams.get('TAC')!;
/** What the hosted form posts: its link's values (TAC, 4-part key), the TAC's, and the card. */
const form = (redirectUrl: string, card: Record<string, string>) => {
  const link = Object.fromEntries(new URL(redirectUrl).searchParams);
  const tx = epx.transactions.get(link.TAC!)!;
  return { ...link, TRAN_NBR: tx.tranNbr, AMOUNT: amount.value, EXP_DATE: '3012', CVV2: '123', ...card };
};
/** The hidden fields of the hosted form's HTML. */
const hiddenInputs = (html: string) =>
  Object.fromEntries([...html.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
const pay = (redirectUrl: string, card: Record<string, string>) => epx.browserPost(form(redirectUrl, card));
const redirected = (result: ReturnType<EpxSandbox['browserPost']>) => {
  if ('error' in result) throw new Error(`EPX refused: ${result.error}`);
  return result.fields;
};
describe('R-61: key exchange, Browser Post and Server Post on three hosts', () => {
  test('the defaults are three bases with paths on the simulator', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect([config.EPX_KEY_EXCHANGE_URL, config.EPX_BROWSER_POST_URL, config.EPX_SERVER_POST_URL]).toEqual(
      Object.values(epxSandboxUrls(`http://127.0.0.1:${config.SANDBOX_EPX_PORT}`)),
    );
  });

  test('a whole payment through three hosts, each with a base path: TAC, hosted form, redirect, status, refund', async () => {
    const opened = await open('hosts.1');
    expect(opened.redirectUrl.startsWith(`${settings.browserPostUrl}pay?TAC=`)).toBe(true);

    // The hosted form, as a browser gets it from the Browser Post host, carries the 4-part key.
    const html = await (await fetch(opened.redirectUrl)).text();
    const hidden = hiddenInputs(html);
    expect(hidden).toMatchObject({ ...EPX_KEY, TAC: tacOf(opened.redirectUrl), INDUSTRY_TYPE: 'E', AMOUNT: '10.50' });
    const action = new URL(/<form method="post" action="([^"]+)">/.exec(html)![1]!, opened.redirectUrl);
    const posted = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, ACCOUNT_NBR: '4000000000000002', EXP_DATE: '3012', CVV2: '123', ZIP_CODE: '12345' }),
    });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain(`action="${BACK}"`);

    expect(await client.status('hosts.1')).toMatchObject({ state: 'captured', captured: '10.50' });
    await client.refund('hosts.1', amount);
    expect(await client.status('hosts.1')).toMatchObject({ state: 'refunded', refunded: '10.50' });
  });
});

describe('R-68: the redirect is a hint; its MAC (an assumption) is checked only when present', () => {
  const verify = (fields: Record<string, string>, nowSeconds = Math.floor(epx.clock.now() / 1000)) =>
    verifyEpxRedirect(fields, { mac: epx.mac, nowSeconds });

  test('an unsigned redirect is accepted as unsigned; a signed one as signed', async () => {
    epx.signRedirects(false);
    const unsigned = redirected(pay((await open('mac.1')).redirectUrl, { ACCOUNT_NBR: '4000000000000002' }));
    expect(unsigned.RESP_MAC).toBeUndefined();
    expect(verify(unsigned)).toEqual({ fields: unsigned, signed: false });

    epx.signRedirects(true);
    const signed = redirected(pay((await open('mac.2')).redirectUrl, { ACCOUNT_NBR: '4000000000000002' }));
    expect(verify(signed)).toEqual({ fields: signed, signed: true });
  });

  test('the control route switches the MAC off and on', async () => {
    // The control routes live on the simulator's root, not behind a host's prefix.
    const root = await listen(epx.app, 0);
    try {
      const post = (on: boolean) =>
        fetch(`${root.url}/__sandbox/redirect-mac`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sign: on }),
        });
      expect(await (await post(false)).json()).toEqual({ signRedirects: false });
      expect(redirected(pay((await open('mac.3')).redirectUrl, { ACCOUNT_NBR: '4000000000000002' })).RESP_MAC).toBeUndefined();
      expect(await (await post(true)).json()).toEqual({ signRedirects: true });
    } finally {
      await root.close();
    }
  });

  test('present and wrong, or present with a stale timestamp → RedirectRejected', async () => {
    const fields = redirected(pay((await open('mac.4')).redirectUrl, { ACCOUNT_NBR: '4000000000000002' }));
    expect(() => verify({ ...fields, AUTH_AMOUNT: '0.01' })).toThrow(RedirectRejected);
    expect(() => verify({ ...fields, RESP_MAC: signRedirect(fields, 'another-merchant-key') })).toThrow('bad RESP_MAC');
    expect(() => verify({ ...fields, RESP_MAC: '' })).toThrow('bad RESP_MAC');
    expect(() => verify(fields, Math.floor(epx.clock.now() / 1000) + 3600)).toThrow('stale or missing RESP_TIMESTAMP');
    const { RESP_TIMESTAMP: _at, ...untimed } = fields;
    void _at;
    expect(() => verify({ ...untimed, RESP_MAC: signRedirect(untimed, epx.mac) })).toThrow('stale or missing RESP_TIMESTAMP');
  });

  test('a redirect naming no transaction or no result is refused, signed or not', () => {
    expect(() => verify({ AUTH_RESP: '00' })).toThrow('missing TRAN_NBR or a result code');
    expect(() => verify({ TRAN_NBR: '1234567890' })).toThrow('missing TRAN_NBR or a result code');
  });
});

describe('R-70: Browser Post checks the 4-part key (BP_103)', () => {
  test("a key other than the merchant's → BP_103 on EPX's page; the TAC stays unused and the order pending", async () => {
    const opened = await open('key.1');
    for (const wrong of [{ MERCH_NBR: '900301' }, { TERMINAL_NBR: '' }] as Array<Record<string, string>>) {
      expect(pay(opened.redirectUrl, { ACCOUNT_NBR: '4000000000000002', ...wrong })).toEqual({ error: 'BP_103' });
    }
    expect(await client.status('key.1')).toEqual({ state: 'pending' });
    expect(redirected(pay(opened.redirectUrl, { ACCOUNT_NBR: '4000000000000002' })).AUTH_RESP).toBe('00');
  });

  test('parkflow configured with another 4-part key: its hosted form is refused (BP_103), its look-ups too, naming no value', async () => {
    const misconfigured = new EpxClient({ ...settings, fourPartKey: { ...EPX_KEY, DBA_NBR: '3' } });
    const opened = await open('key.2', misconfigured);
    const hidden = hiddenInputs(await (await fetch(opened.redirectUrl)).text());
    expect(hidden.DBA_NBR).toBe('3');
    const posted = await fetch(new URL('./', opened.redirectUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, ACCOUNT_NBR: '4000000000000002', EXP_DATE: '3012' }),
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('4-part key mismatch (BP_103)');

    const refused = await failure(misconfigured.status('key.2'));
    expect({ type: refused.type, nonRetryable: refused.nonRetryable }).toEqual({ type: FailureType.UpstreamRejected, nonRetryable: true });
    expect(refused.message).toBe("epx status: the merchant's 4-part key was refused");
  });
});

describe('R-71: field errors (FE_001 missing, FE_002 format, FE_003 MOD-10) come back in the redirect', () => {
  test.each([
    [
      'a card number failing MOD-10',
      'account_nbr^FE_003',
      { ACCOUNT_NBR: '4000000000000001' },
      'account_nbr failed the card number check (MOD-10) (FE_003)',
    ],
    [
      'no card number, no expiry',
      'account_nbr^FE_001|exp_date^FE_001',
      { ACCOUNT_NBR: '', EXP_DATE: '' },
      'account_nbr is missing (FE_001); exp_date is missing (FE_001)',
    ],
    [
      'month 13 and a name with digits',
      'exp_date^FE_002|first_name^FE_002',
      { ACCOUNT_NBR: '4000000000000002', EXP_DATE: '3013', FIRST_NAME: 'R2D2' },
      'exp_date is not in the expected format (FE_002); first_name is not in the expected format (FE_002)',
    ],
  ])('%s → BP_FIELD_ERRORS %s, no sale, the order declined with the reasons', async (_name, errors, card, reasons) => {
    const orderId = `fields.${errors.length}.${card.ACCOUNT_NBR.length}`;
    const opened = await open(orderId);
    const fields = redirected(pay(opened.redirectUrl, card));
    expect(fields).toMatchObject({ BP_RESP_CODE: 'BP_000', BP_FIELD_ERRORS: errors, TRAN_NBR: opened.processorRef });
    expect(fields.AUTH_RESP).toBeUndefined();
    expect(verifyEpxRedirect(fields, { mac: epx.mac, nowSeconds: Math.floor(epx.clock.now() / 1000) }).signed).toBe(true);
    expect(epxRedirectOutcome(fields)).toEqual({ approved: false, reason: `card details refused: ${reasons}` });

    const status = await client.status(orderId);
    expect(status).toEqual({ state: 'declined', reason: `card details refused: ${reasons}` });
    expect(JSON.stringify(status)).not.toContain(card.ACCOUNT_NBR || '@');
    expect(pay(opened.redirectUrl, { ACCOUNT_NBR: '4000000000000002' })).toEqual({ error: 'BP_101' }); // the TAC was spent
    expect(epx.ledger.entries.some((e) => e.reference === orderId)).toBe(false);
  });

  test('every sandbox card passes MOD-10 and gets its AUTH_RESP', async () => {
    const cards: Array<[string, string]> = [
      ['4000000000000002', '00'],
      ['4000000000000051', '51'],
      ['4000000000000515', '05'],
      ['4000000000000549', '54'],
    ];
    for (const [card, authResp] of cards) {
      expect(passesLuhn(card)).toBe(true);
      const fields = redirected(pay((await open(`card.${card}`)).redirectUrl, { ACCOUNT_NBR: card }));
      expect([fields.AUTH_RESP, fields.BP_FIELD_ERRORS]).toEqual([authResp, undefined]);
    }
    expect(await client.status('card.4000000000000549')).toMatchObject({ state: 'declined', reason: 'EXPIRED CARD (54)' });
  });

  test('key exchange errors: typed, non-retryable, naming the field and no secret', async () => {
    const refused = await failure(
      client.keyExchange({ orderId: 'bad.1', amount: { value: '10.505', currency: 'USD' }, redirectUrl: BACK }),
    );
    expect({ type: refused.type, nonRetryable: refused.nonRetryable }).toEqual({ type: FailureType.UpstreamRejected, nonRetryable: true });
    expect(refused.message).toContain('Invalid TAC parameter: AMOUNT');
    const wrongMac = await failure(open('bad.2', new EpxClient({ ...settings, mac: 'not-the-merchant-mac' })));
    expect(wrongMac.message).toBe('epx key exchange: the merchant MAC was refused');
    expect(`${refused.message}${wrongMac.message}`).not.toContain(epx.mac);
  });
});

describe('R-79: two live TACs for one order (EPX does not dedupe TRAN_NBR)', () => {
  test('a second key exchange gives a new TAC and the first stays payable, even after a sale', async () => {
    const first = await open('twice.1');
    const second = await open('twice.1');
    expect(second.processorRef).toBe(first.processorRef);
    expect(tacOf(second.redirectUrl)).not.toBe(tacOf(first.redirectUrl));
    expect(redirected(pay(first.redirectUrl, { ACCOUNT_NBR: '4000000000000051' })).AUTH_RESP).toBe('51');
    expect(await client.status('twice.1')).toMatchObject({ state: 'declined' });
    // A decline on one TAC does not spend the other: the order can still be paid.
    expect(redirected(pay(second.redirectUrl, { ACCOUNT_NBR: '4000000000000002' })).AUTH_RESP).toBe('00');
    expect(await client.status('twice.1')).toMatchObject({ state: 'captured', captured: '10.50' });
    const third = await open('twice.1');
    expect(tacOf(third.redirectUrl)).not.toBe(tacOf(second.redirectUrl));
  });

  test('both paid: two sales, the status shows both, and refunding down to one sale (as the collection does) leaves 10.50 held', async () => {
    const first = await open('twice.2');
    const second = await open('twice.2');
    redirected(pay(first.redirectUrl, { ACCOUNT_NBR: '4000000000000002' }));
    redirected(pay(second.redirectUrl, { ACCOUNT_NBR: '4000000000000002' }));
    expect(epx.ledger.heldByOrder()['twice.2']).toMatchObject({ capturedMinor: 2100, heldMinor: 2100 });
    expect(await client.status('twice.2')).toMatchObject({ state: 'captured', captured: '21.00', refunded: '0.00' });

    // What PaymentCollection.refundDownTo (keep the price) and the payment workflow (a late capture: keep nothing) call.
    const activities = createPaymentActivities({ epx: client, mobilpay: undefined as never, publicBaseUrl: 'http://127.0.0.1' });
    const order = { method: 'epx' as const, orderId: 'twice.2', amount, description: 'two TACs' };
    expect(await activities.refundPayment({ ...order, keep: '10.50' })).toEqual({ refunded: '10.50' });
    expect(await activities.refundPayment({ ...order, keep: '10.50' })).toEqual({ refunded: '0.00' });
    expect(epx.ledger.heldByOrder()['twice.2']).toMatchObject({ heldMinor: 1050 });
    expect(await client.status('twice.2')).toMatchObject({ state: 'captured', captured: '21.00', refunded: '10.50' });

    expect(await activities.refundPayment({ ...order, keep: '0.00' })).toEqual({ refunded: '10.50' });
    expect(epx.ledger.heldByOrder()['twice.2']).toMatchObject({ heldMinor: 0 });
    expect(await client.status('twice.2')).toMatchObject({ state: 'refunded', captured: '21.00', refunded: '21.00' });
  });
});
