import { type Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { type Logger } from 'pino';
import swaggerUi from 'swagger-ui-express';
import { type ParkingPlusClient } from '../activities/parkingplus/client';
import { type Config } from '../config';
import { type SecretBox } from '../domain/sealed';
import { tenantOfKey } from '../domain/tenants';
import { httpLogging } from '../observability/http-logging';
import { httpMetrics } from '../observability/http-metrics';
import { metricsEndpoint } from '../observability/metrics-endpoint';
import { openApiDocument } from './openapi';
import { codecPolicy, docsPolicy, PAGE_POLICY } from './content-security';
import { publicLimit, webhookLimit } from './public-limits';
import { tenantQuotas } from './quotas';
import { memoryStores, perMinute, type RateLimitStores } from './rate-limit-store';
import { HttpProblem, sendProblem } from './problem';
import { EctorZoneCache } from './ector-zone-cache';
import { JourneyRefresher } from './journey-refresh';
import { accountsRouter } from './routes/accounts';
import { ectorRouter } from './routes/ector';
import { codecRouter } from './routes/codec';
import { journeysRouter } from './routes/journeys';
import { returnsRouter } from './routes/returns';
import { subscriptionsRouter } from './routes/subscriptions';
import { webhooksRouter } from './routes/webhooks';
import { TemporalCalls } from './temporal-calls';

const JSON_TYPES = ['application/json', 'application/*+json'];

export interface ApiDeps {
  config: Config;
  temporal: Client;
  parkingPlus: ParkingPlusClient;
  box: SecretBox;
  logger: Logger;
  /** Where the rate limits and quotas count; unset, in this process's memory (see rate-limit-store.ts). */
  rateLimitStores?: RateLimitStores;
}

/** What the routers share: one way to call Temporal, one zone cache, one refresher. */
export interface RouterDeps extends ApiDeps {
  calls: TemporalCalls;
  zones: EctorZoneCache;
  refresher: JourneyRefresher;
  limitStores: RateLimitStores;
}

export function createApp(apiDeps: ApiDeps): express.Express {
  const { config, temporal, logger } = apiDeps;
  const calls = new TemporalCalls(temporal, { readMs: config.API_READ_DEADLINE_MS, stepMs: config.API_STEP_DEADLINE_MS });
  const refresher = new JourneyRefresher(temporal, { deadlineMs: config.API_READ_DEADLINE_MS, logger });
  const limitStores = apiDeps.rateLimitStores ?? memoryStores;
  const deps: RouterDeps = { ...apiDeps, calls, zones: new EctorZoneCache(temporal, calls), refresher, limitStores };
  const app = express();
  const spec = openApiDocument();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet({ contentSecurityPolicy: PAGE_POLICY }));
  app.use(httpLogging(logger), httpMetrics()); // request ids, one line and one count per answer
  app.get('/metrics', metricsEndpoint(config));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    try {
      await temporal.withDeadline(Date.now() + 2000, () => temporal.workflowService.getSystemInfo({}));
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'not ready', reason: 'Temporal is not reachable' });
    }
  });
  // Probes above are never limited; from here, whoever sends no valid API key counts per address.
  app.use(publicLimit(config, limitStores, logger));
  app.get('/openapi.json', (_req, res) => void res.json(spec));
  app.use('/docs', docsPolicy(), swaggerUi.serve, swaggerUi.setup(spec));

  // The Temporal UI's remote codec: operators only (operator key or session), never a tenant's API key.
  app.use('/codec', codecPolicy(), codecRouter(deps));

  // Processor notifications authenticate by signature, not by API key; drivers' browsers come back with none.
  app.use('/v1/webhooks', webhookLimit(config, limitStores, logger));
  app.use('/v1', webhooksRouter(deps), returnsRouter(deps));

  app.use('/v1', (req: Request, res: Response, next: NextFunction) => {
    const tenant = tenantOfKey(config.API_KEYS, req.get('X-API-Key') ?? '');
    if (!tenant) throw new HttpProblem(401, 'API key required', 'send a valid X-API-Key header');
    res.locals.tenant = tenant;
    next();
  });
  const limit = config.API_RATE_LIMIT_PER_MINUTE;
  app.use(
    '/v1',
    perMinute({
      name: 'api',
      limit,
      stores: limitStores,
      logger,
      headers: true,
      key: (_req, res) => res.locals.tenant as string,
      refuse: (_req, res, retryAfter) =>
        sendProblem(res, new HttpProblem(429, 'Too many requests', `at most ${limit} requests a minute`, undefined, undefined, retryAfter)),
    }),
  );
  app.use('/v1', (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is(JSON_TYPES)) {
      throw new HttpProblem(415, 'Unsupported media type', 'send the body as application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    }
    next();
  });
  app.use('/v1', express.json({ limit: '64kb', type: JSON_TYPES }));
  const quotas = tenantQuotas(config, limitStores, logger); // what costs a spot or a card attempt
  app.post('/v1/journeys', quotas.starts);
  app.post('/v1/journeys/:id/pay', quotas.pays);
  app.use('/v1', accountsRouter(deps), journeysRouter(deps), ectorRouter(deps), subscriptionsRouter(deps));

  // A route that exists with other methods: 405 naming them (OPTIONS answers them).
  for (const [path, methods] of routeMethods(spec)) {
    app.all(path, (req, res) => {
      res.set('Allow', methods.join(', '));
      if (req.method === 'OPTIONS') return void res.status(204).end();
      throw new HttpProblem(405, 'Method not allowed', `${path} takes ${methods.join(', ')}`);
    });
  }
  app.use((_req, _res) => {
    throw new HttpProblem(404, 'Not found', 'no such route');
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpProblem) return sendProblem(res, err);
    const status = (err as { status?: number; type?: string }).status;
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      return sendProblem(
        res,
        new HttpProblem(
          400,
          'Malformed JSON',
          'the request body must be a JSON object',
          [{ field: '(body)', message: 'not a JSON object' }],
          'malformed-json',
        ),
      );
    }
    if (status === 413) return sendProblem(res, new HttpProblem(413, 'Request too large'));
    if (status && status >= 400 && status < 500) return sendProblem(res, new HttpProblem(status, 'Bad request', (err as Error).message));
    req.log.error({ err, path: req.path }, 'unhandled error'); // with the request id
    sendProblem(res, new HttpProblem(500, 'Internal error', 'an unexpected error; nothing was lost, try again'));
  });
  return app;
}

/** Each path of the spec (Express syntax) with the methods it takes. */
function routeMethods(spec: { paths?: Record<string, object | undefined> }): Array<[string, string[]]> {
  return Object.entries(spec.paths ?? {}).map(([path, operations]) => [
    path.replace(/\{(\w+)\}/g, ':$1'),
    Object.keys(operations ?? {}).map((method) => method.toUpperCase()),
  ]);
}
