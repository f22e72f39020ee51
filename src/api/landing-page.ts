import { escapeHtml } from '../domain/html';

/** The page a driver's browser lands on when it comes back from a hosted payment page. */
export function landingPage(title: string, text: string, status = ''): string {
  const head = `<meta charset="utf-8"><title>${escapeHtml(title)}</title>`;
  const body = `<h1 id="result" data-status="${status}">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`;
  return `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;
}

/** Sent, result not known here: the app shows what the journey reads from the processor. */
export const paymentSentPage = (): string => landingPage('Payment sent', 'You can go back to the app: it shows the result in a moment.');
