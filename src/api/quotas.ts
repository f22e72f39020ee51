import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type Logger } from 'pino';
import { type Config } from '../config';
import { canonicalJson, sha256 } from './idempotency';
import { HttpProblem, sendProblem } from './problem';
import { initStore, type RateLimitName, type RateLimitStores, secondsUntil, WINDOW_MS } from './rate-limit-store';

// Per-tenant quotas on what costs a spot or a card attempt (OWASP API6): journey starts
// (spot hoarding) and pays (card testing), counted per tenant in one-minute windows.
// A replay — the same Idempotency-Key with the same body — was counted once already and is
// not counted again; only a request the quota let through is remembered as seen, so keys
// refused while over quota cannot be saved up and replayed free later.

/** How long a counted request is remembered as seen: well past any sensible client retry. */
const SEEN_MS = 60 * 60_000;

export interface TenantQuotas {
  /** POST /v1/journeys */
  starts: RequestHandler;
  /** POST /v1/journeys/:id/pay */
  pays: RequestHandler;
}

export function tenantQuotas(config: Config, stores: RateLimitStores, logger: Logger): TenantQuotas {
  const seen = initStore(stores('replays'), SEEN_MS);
  const quota = (name: RateLimitName, limit: number, what: string, scope: (req: Request) => string): RequestHandler => {
    const counts = initStore(stores(name), WINDOW_MS);
    /** Undefined: let it through; else the seconds until the tenant's window resets. */
    const refusal = async (tenant: string, replayKey: string | undefined): Promise<number | undefined> => {
      if (replayKey && (await seen.increment(replayKey)).totalHits > 1) return undefined;
      const { totalHits, resetTime } = await counts.increment(`${name}:${tenant}`);
      if (totalHits <= limit) return undefined;
      if (replayKey) await seen.decrement(replayKey); // refused: not seen, so not free later
      return secondsUntil(resetTime);
    };
    return async (req: Request, res: Response, next: NextFunction) => {
      const tenant = res.locals.tenant as string;
      const idempotencyKey = req.get('Idempotency-Key');
      const replayKey =
        idempotencyKey === undefined
          ? undefined
          : `${name}:${tenant}:${sha256(`${scope(req)}\n${idempotencyKey}\n${canonicalJson(req.body)}`)}`;
      let retryAfter: number | undefined;
      try {
        retryAfter = await refusal(tenant, replayKey);
      } catch (err) {
        // A shared store that is down: let the request through rather than stop every start and pay.
        logger.error({ err, quota: name }, 'quota store failed; request let through');
      }
      if (retryAfter === undefined) return next();
      logger.warn({ tenant, quota: name, limit }, 'tenant quota exceeded');
      const detail = `this tenant's quota of ${limit} ${what} a minute is used up`;
      sendProblem(res, new HttpProblem(429, 'Quota exceeded', detail, undefined, 'quota-exceeded', retryAfter));
    };
  };
  return {
    starts: quota('starts', config.TENANT_STARTS_PER_MINUTE, 'journey starts', () => ''),
    pays: quota('pays', config.TENANT_PAYS_PER_MINUTE, 'pays', (req) => String(req.params.id)),
  };
}
