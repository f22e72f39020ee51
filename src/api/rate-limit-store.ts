import { type Request, type RequestHandler, type Response } from 'express';
import rateLimit, { MemoryStore, type Options, type Store } from 'express-rate-limit';
import { type Logger } from 'pino';

// Where every limit of the API keeps its counts. In memory by default: each replica counts alone,
// so N replicas let N times each limit through. Pass a factory of shared stores (Redis, a cluster's
// primary) to createApp and the replicas count together (docs/operations.md).

/** Every limit the API keeps, one store each (express-rate-limit refuses one store for two limits). */
export type RateLimitName = 'api' | 'starts' | 'pays' | 'replays' | 'public' | 'webhooks' | 'refreshes' | 'returns' | 'codec-sign-in';

/** Makes the store of one limit; a shared backend must give each name its own keyspace (a prefix). */
export type RateLimitStores = (name: RateLimitName) => Store;

export const memoryStores: RateLimitStores = () => new MemoryStore();

/** Every limit counts in one-minute windows. */
export const WINDOW_MS = 60_000;

/** The whole seconds until a window resets: what Retry-After says (at least 1). */
export function secondsUntil(resetTime: Date | undefined, now = Date.now()): number {
  if (!resetTime) return WINDOW_MS / 1000;
  return Math.max(1, Math.ceil((resetTime.getTime() - now) / 1000));
}

/** The seconds the current request's limit (the one that refused it) needs before its window resets. */
export function retryAfterOf(req: Request): number {
  return secondsUntil((req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime);
}

/** Makes a store count in windows of `windowMs` (what express-rate-limit does for the stores it is given). */
export function initStore(store: Store, windowMs: number): Store {
  void store.init?.({ windowMs } as Options);
  return store;
}

export interface LimitSpec {
  name: RateLimitName;
  limit: number;
  stores: RateLimitStores;
  logger: Logger;
  /** Whose count a request adds to (the limit's name is prefixed). */
  key: (req: Request, res: Response) => string;
  /** Answers a refused request; `retryAfter` is the real seconds until the window resets. */
  refuse: (req: Request, res: Response, retryAfter: number) => void;
  skip?: (req: Request, res: Response) => boolean;
  /** X-RateLimit-* headers on every answer (only the /v1 tenant limit sends them). */
  headers?: boolean;
}

/**
 * A per-minute limit on the named store. A store that fails (a shared backend down) lets the
 * request through and logs it: an outage of the counter must not stop payments.
 */
export function perMinute(spec: LimitSpec): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: spec.limit,
    store: spec.stores(spec.name),
    keyGenerator: (req, res) => `${spec.name}:${spec.key(req, res)}`,
    skip: spec.skip,
    handler: (req, res) => spec.refuse(req, res, retryAfterOf(req)),
    legacyHeaders: spec.headers ?? false,
    standardHeaders: false,
    passOnStoreError: true,
    logger: {
      error: (err, message) => spec.logger.error({ err, limit: spec.name }, message),
      warn: (err, message) => spec.logger.warn({ err }, message),
    },
  });
}
