import { createHash } from 'node:crypto';
import { escapeHtml } from '../domain/html';

// The few pages an operator's browser sees at /codec: sign in, signed in, signed out. No script.

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}input{width:100%;padding:.5rem}';
/** The CSP source that allows the inline stylesheet above, and nothing else inline. */
export const OPERATOR_STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

function page(title: string, body: string): string {
  const head = `<meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style>`;
  return `<!doctype html><html><head>${head}</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function signInPage(error?: string): string {
  const field = '<input name="operatorKey" type="password" autocomplete="off" required autofocus>';
  return page(
    'parkflow operator sign-in',
    (error ? `<p role="alert">${escapeHtml(error)}</p>` : '') +
      '<p>Sign in to read decrypted payloads in the Temporal UI.</p>' +
      `<form method="post" action="sign-in"><label>Operator key ${field}</label><p><button type="submit">Sign in</button></p></form>`,
  );
}

export function signedInPage(until: Date, uiOrigin: string | undefined): string {
  const back = uiOrigin ? `<a href="${escapeHtml(uiOrigin)}">the Temporal UI</a>` : 'the Temporal UI';
  return page(
    'Signed in',
    `<p id="signed-in">Signed in until ${escapeHtml(until.toISOString())}. Return to ${back} and reload: it shows decoded payloads ` +
      '(its codec setting "Include cross-origin credentials" must be on).</p>' +
      '<form method="post" action="sign-out"><button type="submit">Sign out</button></form>',
  );
}

export function signedOutPage(): string {
  return page('Signed out', '<p>The Temporal UI shows encrypted payloads again.</p>');
}
