import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { httpRequestDuration, httpRequests } from './metrics';

// Counts every API answer by its route template. Express keeps req.baseUrl only while a router
// handles the request: a route that throws reaches the app's error handler with baseUrl reset, so
// the template (`/v1` + `/journeys/:id`) is read at the moment the route is matched — when Express
// sets req.route — not when the answer is sent.

/** Requests that reached no route (404s; 401, 415, 429 refused before routing; static files): one label, so scanners make no series. */
export const UNMATCHED_ROUTE = 'unmatched';

export function httpMetrics(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = process.hrtime.bigint();
    let template: string | undefined;
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (value: { path?: unknown } | undefined) => {
        route = value;
        if (value?.path !== undefined) template = `${req.baseUrl}${String(value.path)}`;
      },
    });
    res.once('finish', () => {
      const labels = { method: req.method, route: template ?? UNMATCHED_ROUTE, status: String(res.statusCode) };
      httpRequests.inc(labels);
      httpRequestDuration.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    next();
  };
}
