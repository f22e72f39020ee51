import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpProblem, sendProblem } from '../api/problem';
import { metricsEndpoint } from './metrics-endpoint';

// A worker-only process (PARKFLOW_ROLE=worker) has no API, yet its activities make the upstream
// calls: with WORKER_METRICS_PORT set it serves its own GET /metrics (and /healthz) for Prometheus.

export function workerMetricsApp(settings: Parameters<typeof metricsEndpoint>[0]): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsEndpoint(settings));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use(() => {
    throw new HttpProblem(404, 'Not found', 'this port serves /metrics and /healthz only');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) =>
    sendProblem(res, err instanceof HttpProblem ? err : new HttpProblem(500, 'Internal error')),
  );
  return app;
}
