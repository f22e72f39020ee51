import { type Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import express from 'express';
import request from 'supertest';
import { callUpstream } from '../src/activities/http';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { SecretBox } from '../src/domain/sealed';
import { createLogger } from '../src/logger';
import { registry } from '../src/observability/metrics';
import { runtimeTelemetry } from '../src/observability/runtime-metrics';
import { logUpstreamCallsTo, upstreamRoute } from '../src/observability/upstream-calls';
import { workerMetricsApp } from '../src/observability/worker-metrics';
import { listen, type Listening } from '../src/sandbox/harness';
import { promqlReferences, sample } from './support/prometheus';

// Logs, request ids and metrics without Temporal: the API app over a Temporal client that fails
// every call, and callUpstream against a local server.

const API_KEY = 'observability-test-key';
const SECRET = 'sekret-token-1234567890';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- log lines are free-form JSON

function capture(): { logger: ReturnType<typeof createLogger>; lines: Line[] } {
  const lines: Line[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}

function apiWith(overrides: Record<string, string> = {}) {
  const { logger, lines } = capture();
  const config = loadConfig({ NODE_ENV: 'test', API_KEYS: `obs:${API_KEY}`, TEMPORAL_METRICS_BIND: '', ...overrides });
  // Every Temporal call fails like a bug would: the API's 500 path.
  const temporal = {
    withDeadline: () => Promise.reject(new TypeError('temporal is not there')),
    workflow: { getHandle: () => ({ query: () => Promise.reject(new TypeError('temporal is not there')) }) },
  } as unknown as Client;
  const app = createApp({ config, temporal, parkingPlus: {} as never, box: new SecretBox(config.PARKFLOW_SECRET_KEY), logger });
  return { app, lines };
}

const requestLines = (lines: Line[]) => lines.filter((l) => l.req !== undefined);

describe('API request logs', () => {
  test('one line per request, with a request id echoed in X-Request-Id; the caller’s own id when it is sane', async () => {
    const { app, lines } = apiWith();
    const own = await request(app).get('/openapi.json').set('X-Request-Id', 'gateway-42.abc:7');
    expect(own.headers['x-request-id']).toBe('gateway-42.abc:7');
    const insane = await request(app).get('/openapi.json').set('X-Request-Id', 'has spaces and <script>');
    const long = await request(app).get('/openapi.json').set('X-Request-Id', 'x'.repeat(129));
    const none = await request(app).get('/openapi.json');
    for (const res of [insane, long, none]) expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set([insane, long, none].map((r) => r.headers['x-request-id'])).size).toBe(3);

    const logged = requestLines(lines);
    expect(logged.map((l) => l.requestId)).toEqual(['gateway-42.abc:7', ...[insane, long, none].map((r) => r.headers['x-request-id'])]);
    expect(logged[0]).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/openapi.json' }, res: { statusCode: 200 } });
    expect(typeof logged[0]!.latencyMs).toBe('number');
  });

  test('authorization, X-API-Key and cookies are redacted; the query string is not logged', async () => {
    const { app, lines } = apiWith();
    await request(app)
      .get(`/v1/journeys?cursor=${SECRET}`)
      .set('Authorization', `Bearer ${SECRET}`)
      .set('X-API-Key', `${SECRET}-wrong`)
      .set('Cookie', `session=${SECRET}`)
      .set('Proxy-Authorization', `Basic ${SECRET}`)
      .expect(401);
    const [line] = requestLines(lines);
    expect(line!.req.url).toBe('/v1/journeys');
    expect(line!.req.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'proxy-authorization': '[redacted]',
    });
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  test('probes and scrapes are not logged; a 500 is logged at error level with the request id', async () => {
    const { app, lines } = apiWith();
    await request(app).get('/healthz').expect(200);
    await request(app).get('/metrics').expect(200);
    expect(requestLines(lines)).toEqual([]);

    const failed = await request(app).get('/v1/journeys/journey-obs-0123456789abcdef0123').set('X-API-Key', API_KEY).expect(500);
    const id = failed.headers['x-request-id'];
    expect(lines.find((l) => l.msg === 'unhandled error')).toMatchObject({ level: 50, requestId: id });
    expect(requestLines(lines)).toEqual([expect.objectContaining({ level: 50, requestId: id, res: { statusCode: 500 } })]);
  });
});

describe('HTTP metrics', () => {
  test('counted by the route template — kept when the route throws — never by the raw path', async () => {
    const { app } = apiWith();
    const before = await registry.metrics();
    const journeyId = 'journey-obs-fedcba9876543210fedc';
    await request(app).get(`/v1/journeys/${journeyId}`).set('X-API-Key', API_KEY).expect(500);
    await request(app).get('/v1/journeys').expect(401);
    await request(app).get(`/no/such/${journeyId}`).expect(404);
    await request(app).delete(`/v1/journeys/${journeyId}`).set('X-API-Key', API_KEY).expect(405);

    const text = await registry.metrics();
    const delta = (name: string, labels: Record<string, string>) => sample(text, name, labels) - (sample(before, name, labels) || 0);
    expect(delta('parkflow_http_requests_total', { method: 'GET', route: '/v1/journeys/:id', status: '500' })).toBe(1);
    expect(delta('parkflow_http_requests_total', { method: 'GET', route: 'unmatched', status: '401' })).toBe(1);
    expect(delta('parkflow_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta('parkflow_http_requests_total', { method: 'DELETE', route: '/v1/journeys/:id', status: '405' })).toBe(1);
    expect(delta('parkflow_http_request_duration_seconds_count', { method: 'GET', route: '/v1/journeys/:id', status: '500' })).toBe(1);
    expect(text).not.toContain(journeyId);
  });
});

describe('GET /metrics', () => {
  test('Prometheus text: HTTP, upstream and Node metrics, then the Temporal Runtime’s, fetched from its address', async () => {
    const runtime = await listen(
      express().get('/metrics', (_req, res) => void res.type('text/plain').send('# TYPE temporal_workflow_completed_total counter\ntemporal_workflow_completed_total 3\n')),
      0,
    );
    try {
      const { app } = apiWith({ TEMPORAL_METRICS_BIND: `127.0.0.1:${runtime.port}` });
      const res = await request(app).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      for (const family of [
        'parkflow_http_requests_total',
        'parkflow_http_request_duration_seconds',
        'parkflow_upstream_requests_total',
        'parkflow_upstream_request_duration_seconds',
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(res.text).toContain(`# TYPE ${family} `);
      }
      expect(sample(res.text, 'temporal_workflow_completed_total', {})).toBe(3);
    } finally {
      await runtime.close();
    }
  });

  test('the Runtime unreachable: a comment line instead, and the scrape still answers', async () => {
    const closed = await listen(express(), 0);
    await closed.close();
    const { app } = apiWith({ TEMPORAL_METRICS_BIND: `127.0.0.1:${closed.port}` });
    const res = await request(app).get('/metrics').expect(200);
    expect(res.text).toContain(`# temporal runtime metrics unavailable: http://127.0.0.1:${closed.port}/metrics unreachable`);
    expect(res.text).toContain('# TYPE parkflow_http_requests_total counter');
  });

  test('with METRICS_TOKEN, only a scraper with the bearer token reads it (and no API key is needed)', async () => {
    const { app } = apiWith({ METRICS_TOKEN: 'metrics-token-0123456789' });
    const refused = await request(app).get('/metrics').expect(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.headers['www-authenticate']).toContain('Bearer');
    await request(app).get('/metrics').set('Authorization', 'Bearer metrics-token-wrong-value').expect(401);
    await request(app).get('/metrics').set('X-API-Key', API_KEY).expect(401);
    await request(app).get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789').expect(200);
  });

  test('a worker-only process serves the same /metrics on WORKER_METRICS_PORT, token included', async () => {
    const config = loadConfig({ PARKFLOW_ROLE: 'worker', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_BIND: '', METRICS_TOKEN: 'metrics-token-0123456789' });
    expect(config.WORKER_METRICS_PORT).toBe(0);
    expect(loadConfig({ WORKER_METRICS_PORT: '' }).WORKER_METRICS_PORT).toBeUndefined();
    const app = workerMetricsApp(config);
    await request(app).get('/metrics').expect(401);
    const res = await request(app).get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789').expect(200);
    expect(res.text).toContain('# TYPE parkflow_upstream_requests_total counter');
    await request(app).get('/healthz').expect(200);
    expect((await request(app).get('/v1/journeys').expect(404)).headers['content-type']).toContain('application/problem+json');
  });

  test('the Runtime is installed with Prometheus names like prom-client’s, or not at all without an address', () => {
    expect(runtimeTelemetry('127.0.0.1:9464')).toEqual({
      metrics: { prometheus: { bindAddress: '127.0.0.1:9464', countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } },
    });
    expect(runtimeTelemetry('')).toBeUndefined();
    expect(() => loadConfig({ TEMPORAL_METRICS_BIND: 'http://x:1' })).toThrow(/TEMPORAL_METRICS_BIND/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
  });
});

describe('upstream calls', () => {
  let upstream: Listening;
  beforeAll(async () => {
    const app = express();
    app.post('/v3/bookings/:id/pay', (_req, res) => void res.json({ ok: true }));
    app.get('/slow', (_req, res) => void setTimeout(() => res.json({}), 500));
    app.get('/down', (_req, res) => void res.status(503).json({}));
    upstream = await listen(app, 0);
  });
  afterAll(async () => {
    logUpstreamCallsTo(undefined);
    await upstream.close();
  });

  const call = (path: string, method: 'GET' | 'POST' = 'GET', timeoutMs = 2_000) =>
    callUpstream({
      upstream: 'ector',
      baseUrl: upstream.url,
      method,
      path,
      headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET },
      body: method === 'POST' ? { card_number: SECRET } : undefined,
      timeoutMs,
    });

  test('logged with upstream, method, route, status, latency, attempt and workflow — and no secret', async () => {
    const { logger, lines } = capture();
    logUpstreamCallsTo(logger);
    const env = new MockActivityEnvironment({
      attempt: 3,
      activityType: 'payBooking',
      workflowType: 'ectorJourney',
      workflowExecution: { workflowId: 'journey-obs-1', runId: 'run-1' },
    });
    await env.run(() => call(`/v3/bookings/B-42/pay?access_token=${SECRET}`, 'POST'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'upstream call',
        upstream: 'ector',
        method: 'POST',
        route: '/v3/bookings/:id/pay',
        status: '200',
        latencyMs: expect.any(Number),
        attempt: 3,
        workflowId: 'journey-obs-1',
        workflowType: 'ectorJourney',
        activityType: 'payBooking',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(JSON.stringify(lines)).not.toContain('B-42');
  });

  test('outside an activity (the API linking an account): no attempt, no workflow; failures at warn, counted as timeout / network / status', async () => {
    const { logger, lines } = capture();
    logUpstreamCallsTo(logger);
    const before = await registry.metrics();
    await expect(call('/slow', 'GET', 100)).rejects.toThrow(/no answer within 100 ms/);
    await expect(call('/down')).rejects.toThrow(/503/);
    const refused = await listen(express(), 0);
    await refused.close();
    await expect(callUpstream({ upstream: 'ector', baseUrl: refused.url, method: 'GET', path: '/v3/zones', timeoutMs: 1_000 })).rejects.toThrow(
      /connection failed/,
    );

    expect(lines.map((l) => [l.level, l.status, l.route])).toEqual([
      [40, 'timeout', '/slow'],
      [40, '503', '/down'],
      [40, 'network', '/v3/zones'],
    ]);
    expect(lines[0]).not.toHaveProperty('attempt');
    expect(lines[0]).not.toHaveProperty('workflowId');

    const after = await registry.metrics();
    const delta = (labels: Record<string, string>) =>
      sample(after, 'parkflow_upstream_requests_total', labels) - (sample(before, 'parkflow_upstream_requests_total', labels) || 0);
    expect(delta({ upstream: 'ector', method: 'GET', route: '/slow', status: 'timeout' })).toBe(1);
    expect(delta({ upstream: 'ector', method: 'GET', route: '/down', status: '503' })).toBe(1);
    expect(delta({ upstream: 'ector', method: 'GET', route: '/v3/zones', status: 'network' })).toBe(1);
    expect(sample(after, 'parkflow_upstream_request_duration_seconds_bucket', { upstream: 'ector', method: 'GET', route: '/slow', le: '+Inf' })).toBe(1);
  });

  test.each([
    ['/api/car_driver/parking_sessions/123/finalize', '/api/car_driver/parking_sessions/:id/finalize'],
    ['/api/payment/status?id=ORDER-1.2', '/api/payment/status'],
    ['/v3/bookings/B9f3a2/cancel', '/v3/bookings/:id/cancel'],
    ['/v3/quotes?zone=CDG&from=2026', '/v3/quotes'],
    ['/api/estadias?placa=ABC1234', '/api/estadias'],
    ['/payment/card/start', '/payment/card/start'],
    ['', '/'],
  ])('route of %s is %s', (path, route) => {
    expect(upstreamRoute(path)).toBe(route);
  });
});

test('the dashboard check reads PromQL right: series and label names, not functions, strings or ranges', () => {
  expect(
    promqlReferences(
      'histogram_quantile(0.95, sum by (le, route) (rate(parkflow_http_request_duration_seconds_bucket{status=~"5..",route!="x"}[$__rate_interval])))' +
        ' / on (route) sum(rate(parkflow_http_requests_total[5m])) or vector(0)',
    ),
  ).toEqual({
    metrics: ['parkflow_http_request_duration_seconds_bucket', 'parkflow_http_requests_total'],
    labels: ['status', 'route', 'le'],
  });
});
