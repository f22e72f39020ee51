// The driver's browser on a hosted payment page: it opens the page a journey's payment points at,
// fills in the card form as a person would (the sandbox's approved cards) and submits it, then
// goes where the page sends it back (parkflow's return route, EPX's auto-submitted redirect).
// Submitting a page again is what a driver who reloads does: the processor must not charge twice.
import { type Answer, type RetryingHttp } from './http';

export type HostedPayment = 'parkingplus' | 'mobilpay' | 'epx';
export type CardProcessor = 'mobilpay' | 'epx';

/** The sandboxes' approved test cards (src/sandbox/parkingplus/pay-page.ts, mobilpay/cards.ts, epx/app.ts). */
const CARDS: Record<CardProcessor, { number: string; cvv: string }> = {
  mobilpay: { number: '9900004810225098', cvv: '111' },
  epx: { number: '4000000000000002', cvv: '123' },
};

export interface HtmlForm {
  /** Absolute URL the form posts to. */
  action: string;
  fields: Record<string, string>;
}

/** What submitting a page came to: a card was submitted, the page was already paid, or it refused. */
export type PageOutcome = { submitted: true } | { submitted: false; reason: string };

/** The first form of a page: its action (resolved against the page's URL) and its named inputs' values. */
export function readForm(html: string, pageUrl: string): HtmlForm | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = attribute(form[1]!, 'action') ?? '';
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1]!, 'name');
    if (name) fields[name] = attribute(input[1]!, 'value') ?? '';
  }
  return { action: new URL(action, pageUrl).toString(), fields };
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return match ? unescapeHtml(match[1]!) : undefined;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Pays `redirectUrl` (a journey's payment page) with `card`'s processor where the page lets the driver choose. */
export async function payOnPage(http: RetryingHttp, page: HostedPayment, redirectUrl: string, card: CardProcessor): Promise<PageOutcome> {
  if (page === 'parkingplus') return payParkingPlus(http, redirectUrl, card);
  if (page === 'mobilpay') return payMobilPay(http, redirectUrl);
  return payEpx(http, redirectUrl);
}

/** Parking+Plus's own page: the driver picks the processor; the page sends the WebView back to parkflow (303). */
async function payParkingPlus(http: RetryingHttp, payUrl: string, card: CardProcessor): Promise<PageOutcome> {
  const page = await http.request(payUrl);
  const form = page.status === 200 ? readForm(page.text, payUrl) : undefined;
  if (!form) return { submitted: false, reason: pageSays(page) };
  const { number, cvv } = CARDS[card];
  const paid = await http.request(form.action, {
    form: { ...form.fields, processor: card, card_number: number, exp_date: '12/30', cvv },
    redirect: 'manual',
  });
  const back = paid.headers.get('location');
  if (paid.status === 303 && back) await comeBack(http, new URL(back, form.action).toString());
  return paid.status === 303 || paid.status === 200 ? { submitted: true } : { submitted: false, reason: pageSays(paid) };
}

/** NETOPIA's hosted card page; its result page links back to the merchant (parkflow's return). */
async function payMobilPay(http: RetryingHttp, pageUrl: string): Promise<PageOutcome> {
  const page = await http.request(pageUrl);
  const form = page.status === 200 ? readForm(page.text, pageUrl) : undefined;
  if (!form) return { submitted: false, reason: pageSays(page) };
  const { number, cvv } = CARDS.mobilpay;
  const result = await http.request(form.action, { form: { ...form.fields, card_number: number, exp_date: '12/30', cvv } });
  const back = /<a id="back" href="([^"]*)"/.exec(result.text)?.[1];
  if (back) await comeBack(http, new URL(unescapeHtml(back), form.action).toString());
  return result.status === 200 ? { submitted: true } : { submitted: false, reason: pageSays(result) };
}

/** EPX's hosted form posts the card to Browser Post, whose answer auto-submits the result to parkflow. */
async function payEpx(http: RetryingHttp, pageUrl: string): Promise<PageOutcome> {
  const page = await http.request(pageUrl);
  const form = page.status === 200 ? readForm(page.text, pageUrl) : undefined;
  if (!form) return { submitted: false, reason: pageSays(page) }; // 410: this link's one payment was made
  const { number, cvv } = CARDS.epx;
  const posted = await http.request(form.action, { form: { ...form.fields, ACCOUNT_NBR: number, EXP_DATE: '3012', CVV2: cvv } });
  const redirect = posted.status === 200 ? readForm(posted.text, form.action) : undefined;
  if (!redirect) return { submitted: false, reason: pageSays(posted) };
  // The browser's onload submit: the one notification EPX gives parkflow (its status look-up is the backstop).
  await http.request(redirect.action, { form: redirect.fields });
  return { submitted: true };
}

/** The browser lands back on parkflow: a hint that makes the journey look now; a browser does not retry it. */
async function comeBack(http: RetryingHttp, url: string): Promise<void> {
  await http.request(url, { retry: false }).catch(() => undefined);
}

function pageSays(answer: Answer): string {
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(answer.text)?.[1];
  return `${answer.status} ${heading ? unescapeHtml(heading).trim() : answer.text.slice(0, 120)}`;
}
