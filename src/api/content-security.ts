import { contentSecurityPolicy, type HelmetOptions } from 'helmet';
import { OPERATOR_STYLE_SOURCE } from './operator-pages';

// The Content-Security-Policy of every page parkflow serves (landing pages, the codec's sign-in,
// /docs): its own scripts and styles only, no inline script, forms posted back to itself (no page
// of parkflow posts to a processor: the hosted pages are links), never framed.

const directives = (styleSrc: string[]) => ({
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc,
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
});

/** For helmet(): every answer. */
export const PAGE_POLICY: HelmetOptions['contentSecurityPolicy'] = { useDefaults: false, directives: directives(["'self'"]) };

/** /docs: swagger-ui's scripts are files, but its page and components style inline (style only, never script). */
export const docsPolicy = () => contentSecurityPolicy({ useDefaults: false, directives: directives(["'self'", "'unsafe-inline'"]) });

/** /codec: the operator pages' one inline stylesheet, by its hash. */
export const codecPolicy = () => contentSecurityPolicy({ useDefaults: false, directives: directives(["'self'", OPERATOR_STYLE_SOURCE]) });
