import { type Request, type RequestHandler, type Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from '../api/problem';
import { registry } from './metrics';
import { runtimeMetricsText } from './runtime-metrics';

// GET /metrics: prom-client's registry (HTTP, upstream calls, Node) followed by the Temporal Runtime's
// text (SDK and workflow metrics). Outside /v1's API keys: a scraper is not a tenant. With
// METRICS_TOKEN set, the scraper sends it as a bearer token.

export function metricsEndpoint(settings: { METRICS_TOKEN?: string; TEMPORAL_METRICS_BIND: string }): RequestHandler {
  return async (req: Request, res: Response) => {
    if (settings.METRICS_TOKEN && !sameSecret(bearer(req), settings.METRICS_TOKEN)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new HttpProblem(401, 'Metrics token required', 'send the metrics token as Authorization: Bearer <token>');
    }
    const [own, runtime] = await Promise.all([registry.metrics(), runtimeMetricsText(settings.TEMPORAL_METRICS_BIND)]);
    res.type(registry.contentType).send(`${own}\n${runtime}`);
  };
}

function bearer(req: Request): string {
  const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
  return match?.[1] ?? '';
}

/** Compared as hashes: equal lengths for timingSafeEqual, and no early exit on the first different byte. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
