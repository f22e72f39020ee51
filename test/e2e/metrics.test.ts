import { TEMPORAL_METRICS_BIND } from '../support/temporal-metrics'; // first: the Runtime, with its Prometheus endpoint
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { payOnHostedPage } from '../support/payments';
import { parseSamples, promqlReferences, samplesWith } from '../support/prometheus';
import { API_KEY, eventually, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';
import { Receiver } from '../support/receiver';

// GET /metrics after a real LinkC journey (looked up, paid through MobilPay, left the garage) and a
// look-up of a stay that is not there: every family the dashboard reads, with the labels it reads.

const METRICS_TOKEN = 'e2e-metrics-token-0001';
let stack: Stack;
let journeyId: string;
let metrics: string;
const receiver = new Receiver();

beforeAll(async () => {
  // The journey's events go to a subscriber on loopback (allowed as in development).
  stack = await startStack({ TEMPORAL_METRICS_BIND, METRICS_TOKEN, SUBSCRIBER_PRIVATE_TARGETS: 'true' });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
  await receiver.stop();
});

const scrape = async () => {
  const res = await fetch(`${stack.service.apiUrl!}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};
const stateIs = (id: string, state: string) =>
  eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === state ? true : undefined), 20_000, state);

test('a LinkC journey, paid through MobilPay, to its end; and a stay that is not in the yard', async () => {
  const subscribed = await stack.api('/v1/subscriptions', { body: { url: await receiver.start(), events: ['journey.paid', 'journey.completed'] } });
  expect(subscribed.status).toBe(201);
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID(), 'x-request-id': 'e2e-metrics-start' },
    body: { provider: 'linkc', localizador: '1234567890' },
  });
  expect(started.status).toBe(201);
  journeyId = started.body.id;
  const pay = await stack.api(`/v1/journeys/${journeyId}/pay`, { body: { method: 'mobilpay' } });
  expect(pay.status).toBe(200);
  await payOnHostedPage(stack, pay.body, '9900004810225098');
  await stateIs(journeyId, 'paid');
  expect((await stack.api(`/v1/journeys/${journeyId}/exit`, { body: {} })).body.state).toBe('exiting');
  expect((await fetch(`${stack.config.LINKC_BASE_URL.replace(/\/$/, '')}/__sandbox/estadias/1234567890/saida`, { method: 'POST' })).status).toBe(200);
  await stateIs(journeyId, 'completed');

  const missing = await stack.api('/v1/journeys', { headers: { 'idempotency-key': randomUUID() }, body: { provider: 'linkc', localizador: '9000001' } });
  expect(missing.status).toBe(404);

  await eventually(async () => (receiver.taken.some((e) => e.type === 'journey.completed') ? true : undefined), 20_000, 'events delivered');

  // The Runtime counts a workflow's end when its last task completes: wait for the journey's and the failed look-up's.
  metrics = await eventually(async () => {
    const text = await scrape();
    const ended = (type: string, family: string) => samplesWith(text, family, { workflow_type: type }).length > 0;
    return ended('linkcJourney', 'temporal_workflow_completed_total') && ended('linkcJourney', 'temporal_workflow_failed_total') ? text : undefined;
  }, 20_000, 'the journeys counted as ended');
}, 90_000);

describe('GET /metrics after a journey', () => {
  test('refused without the metrics token (an API key is not one)', async () => {
    expect((await fetch(`${stack.service.apiUrl!}/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.service.apiUrl!}/metrics`, { headers: { 'x-api-key': API_KEY } })).status).toBe(401);
  });

  test('HTTP: by method, route template and status, with a latency histogram; no journey id in any label', () => {
    expect(samplesWith(metrics, 'parkflow_http_requests_total', { method: 'POST', route: '/v1/journeys', status: '201' })[0]?.value).toBe(1);
    expect(samplesWith(metrics, 'parkflow_http_requests_total', { method: 'POST', route: '/v1/journeys', status: '404' })[0]?.value).toBe(1);
    expect(samplesWith(metrics, 'parkflow_http_requests_total', { method: 'POST', route: '/v1/journeys/:id/pay', status: '200' })[0]?.value).toBe(1);
    expect(samplesWith(metrics, 'parkflow_http_requests_total', { method: 'GET', route: '/v1/journeys/:id', status: '200' })[0]?.value).toBeGreaterThan(0);
    expect(samplesWith(metrics, 'parkflow_http_request_duration_seconds_bucket', { route: '/v1/journeys/:id/pay', le: '+Inf' })).toHaveLength(1);
    expect(metrics).not.toContain(journeyId);
  });

  test('upstream calls: per upstream, route and status, with a latency histogram', () => {
    const calls = (upstream: string) => samplesWith(metrics, 'parkflow_upstream_requests_total', { upstream });
    expect(calls('linkc').map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status}`)).toEqual(
      expect.arrayContaining(['POST /api/autenticacao 200', 'GET /api/estadias 200', 'GET /api/estadias 404', 'POST /api/estadias/pagamentos 200']),
    );
    expect(calls('mobilpay').map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status}`)).toEqual(
      expect.arrayContaining(['POST /payment/card/start 200', 'POST /operation/status 200']),
    );
    const buckets = samplesWith(metrics, 'parkflow_upstream_request_duration_seconds_bucket', { upstream: 'linkc', route: '/api/estadias' });
    expect(buckets.map((b) => b.labels.le)).toEqual(expect.arrayContaining(['0.05', '1', '+Inf']));
    expect(samplesWith(metrics, 'parkflow_upstream_request_duration_seconds_count', { upstream: 'mobilpay' }).length).toBeGreaterThan(0);
  });

  test('journey transitions per provider and state, and the payment outcome, counted by the workflows', () => {
    const transitions = samplesWith(metrics, 'parkflow_journey_transitions_total', { provider: 'linkc', workflowType: 'linkcJourney' });
    expect(transitions.map((s) => s.labels.state)).toEqual(expect.arrayContaining(['awaiting_payment', 'paid', 'exiting', 'completed']));
    expect(transitions.find((s) => s.labels.state === 'completed')?.value).toBe(1);
    expect(samplesWith(metrics, 'parkflow_payment_outcomes_total', { processor: 'mobilpay', outcome: 'captured', workflowType: 'payment' })[0]?.value).toBe(1);
  });

  test('event subscriptions by tenant and status (a paused subscriber shows here), and deliveries by outcome', () => {
    const subscriptions = samplesWith(metrics, 'parkflow_webhook_subscriptions', { tenant: 'e2e', workflowType: 'subscriptions' });
    expect(Object.fromEntries(subscriptions.map((s) => [s.labels.status, s.value]))).toEqual({ active: 1, paused: 0 });
    const delivered = samplesWith(metrics, 'parkflow_webhook_deliveries_total', { outcome: 'delivered' });
    expect(delivered.reduce((sum, s) => sum + s.value, 0)).toBe(2);
  });

  test("the SDK's own: workflows completed and failed, task latencies, activity failures", () => {
    for (const family of [
      'temporal_workflow_completed_total',
      'temporal_workflow_failed_total',
      'temporal_workflow_task_execution_latency_seconds_bucket',
      'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
      'temporal_activity_execution_latency_seconds_bucket',
      'temporal_activity_execution_failed_total',
    ]) {
      expect(samplesWith(metrics, family, { task_queue: stack.config.TEMPORAL_TASK_QUEUE }).length).toBeGreaterThan(0);
    }
    expect(samplesWith(metrics, 'process_cpu_user_seconds_total')).toHaveLength(1);
  });

  test('the Grafana dashboard reads only series and labels /metrics really has', () => {
    const dashboard = JSON.parse(readFileSync(path.resolve(__dirname, '../../docs/grafana/parkflow-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
    };
    const exposed = parseSamples(metrics);
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const { panel, expr } of exprs) {
      const { metrics: names, labels } = promqlReferences(expr);
      if (names.length === 0) problems.push(`${panel}: no series in ${expr}`);
      for (const name of names) if (!exposed.some((s) => s.name === name)) problems.push(`${panel}: ${name} is not exposed`);
      for (const label of labels) {
        if (!exposed.some((s) => names.includes(s.name) && label in s.labels)) problems.push(`${panel}: no ${names.join(', ')} has a ${label} label`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('logs of the same journey', () => {
  const lines = () => stack.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

  test('every upstream call: upstream, route, status, latency, attempt and the journey — never a secret', () => {
    const calls = lines().filter((l) => l.msg === 'upstream call');
    const lookUp = calls.find((l) => l.upstream === 'linkc' && l.route === '/api/estadias' && l.workflowId === journeyId);
    expect(lookUp).toMatchObject({ method: 'GET', status: '200', attempt: 1, workflowType: 'linkcJourney', latencyMs: expect.any(Number) });
    expect(calls.find((l) => l.upstream === 'mobilpay' && l.route === '/payment/card/start')).toMatchObject({ status: '200', attempt: 1 });
    const text = JSON.stringify(calls);
    for (const secret of ['1234567890', 'authorization', 'Bearer', stack.config.MOBILPAY_API_KEY]) expect(text).not.toContain(secret);
  });

  test('API requests: one line each with the request id, the API key redacted', () => {
    const start = lines().find((l) => l.requestId === 'e2e-metrics-start');
    expect(start).toMatchObject({ msg: 'request completed', req: { method: 'POST', url: '/v1/journeys' }, res: { statusCode: 201 } });
    expect((start!.req as { headers: Record<string, string> }).headers['x-api-key']).toBe('[redacted]');
    expect(stack.logs.join('\n')).not.toContain(API_KEY);
  });
});
