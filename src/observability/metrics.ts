import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

// parkflow's own metrics, in prom-client's default registry: one per process, so what the worker's
// activities count (upstream calls) and what the API counts (requests) come out of the same /metrics
// when both run in one process (`npm start`). Journey and payment counters are counted by the
// workflows through the Temporal Runtime instead (see runtime-metrics.ts): workflow code does no I/O.

export const registry = register;

collectDefaultMetrics({ register: registry });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Labelled by the Express route template (`/v1/journeys/:id`), never the raw path: ids would make a series each. */
export const httpRequests = new Counter({
  name: 'parkflow_http_requests_total',
  help: 'API requests answered, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'parkflow_http_request_duration_seconds',
  help: 'Time to answer an API request, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: SECONDS,
  registers: [registry],
});

/** `status` is the HTTP status, or `timeout` / `network` when no answer came. */
export const upstreamRequests = new Counter({
  name: 'parkflow_upstream_requests_total',
  help: 'Calls to operators and processors, by upstream, method, route and status (timeout or network when unanswered)',
  labelNames: ['upstream', 'method', 'route', 'status'] as const,
  registers: [registry],
});

export const upstreamRequestDuration = new Histogram({
  name: 'parkflow_upstream_request_duration_seconds',
  help: 'Time an upstream took to answer (or to fail), by upstream, method and route',
  labelNames: ['upstream', 'method', 'route'] as const,
  buckets: SECONDS,
  registers: [registry],
});
