import { type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { type Logger } from 'pino';
import { type Config } from '../config';
import { tenantOfKey } from '../domain/tenants';
import { landingPage } from './landing-page';
import { OperatorKeys } from './operator-session';
import { isOperator } from './routes/codec';
import { HttpProblem, sendProblem } from './problem';
import { perMinute, type RateLimitStores } from './rate-limit-store';

// Limits per client address on what answers without an API key: the spec and docs, the codec's
// pages, the drivers' return pages, every attempt with a missing or wrong X-API-Key or operator
// key (key guessing), and, apart and more generous, the processors' notifications. A signed-in
// operator's codec calls are not counted (the Temporal UI sends one per payload it shows). Probes
// (/healthz, /readyz, /metrics) are mounted before these and never limited. The address is the
// socket's (trust proxy is off): behind a proxy, every client shares the proxy's.

const clientAddress = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
const isWebhook = (path: string) => path.startsWith('/v1/webhooks/');
const isApi = (path: string) => path === '/v1' || path.startsWith('/v1/');
/** Pages a browser shows: refused with a page, not a problem. */
const isBrowserPage = (path: string) => /^\/(v1\/payments\/return|v1\/returns\/|docs)/.test(path);

/** Every unauthenticated request but the webhooks'; an API request with a valid key counts to its tenant's limit instead. */
export function publicLimit(config: Config, stores: RateLimitStores, logger: Logger): RequestHandler {
  const limit = config.PUBLIC_RATE_LIMIT_PER_MINUTE;
  const operators = new OperatorKeys(config.PARKFLOW_OPERATOR_KEYS, config.PARKFLOW_SECRET_KEY);
  const authenticated = (req: Request) =>
    isApi(req.path)
      ? tenantOfKey(config.API_KEYS, req.get('X-API-Key') ?? '') !== undefined
      : req.path.startsWith('/codec/') && isOperator(operators, req);
  return perMinute({
    name: 'public',
    limit,
    stores,
    logger,
    key: clientAddress,
    skip: (req) => isWebhook(req.path) || authenticated(req),
    refuse: (req, res, retryAfter) => {
      if (isBrowserPage(req.path)) return tooManyPage(res, retryAfter);
      sendProblem(
        res,
        new HttpProblem(429, 'Too many requests', `at most ${limit} requests a minute from one address`, undefined, undefined, retryAfter),
      );
    },
  });
}

/** The processors' notifications (mounted at /v1/webhooks): refused in a form the processor sends again. */
export function webhookLimit(config: Config, stores: RateLimitStores, logger: Logger): RequestHandler {
  return perMinute({
    name: 'webhooks',
    limit: config.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    stores,
    logger,
    key: clientAddress,
    refuse: (req, res, retryAfter) => {
      res.set('Retry-After', String(retryAfter));
      // NETOPIA's reply format: errorType 1 is temporary, so it sends the notification again.
      if (req.path === '/mobilpay')
        return void res.status(429).json({ errorType: 1, errorCode: 429, errorMessage: 'too many notifications, send again later' });
      tooManyPage(res, retryAfter); // EPX's redirect comes in the driver's browser
    },
  });
}

function tooManyPage(res: Response, retryAfter: number): void {
  res
    .status(429)
    .set('Retry-After', String(retryAfter))
    .type('html')
    .send(landingPage('Too many requests', `Try again in ${retryAfter} seconds.`));
}
