import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { requireBinary } from '../scripts/temporal-binaries';
import { loadConfig } from '../src/config';
import { startTracing, tracesUrl } from '../src/observability/tracing';
import { createEctorSandbox } from '../src/sandbox/ector/app';
import { listen } from '../src/sandbox/harness';
import { createWorker } from '../src/worker';
import { refreshEctorZones } from '../src/workflows';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { testDataConverter } from './support/temporal';

// OpenTelemetry through @temporalio/interceptors-opentelemetry, wired the way the service wires it
// (client interceptors, worker interceptors and sink), on the dev server with an in-memory exporter.

const settings = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_SERVICE_NAME: 'parkflow-test' };

test('OTEL_TRACES_EXPORTER=none (the default): nothing is installed — no interceptors, no provider', () => {
  expect(loadConfig({}).OTEL_TRACES_EXPORTER).toBe('none');
  expect(startTracing({ ...settings, OTEL_TRACES_EXPORTER: 'none' }, { exporter: new InMemorySpanExporter() })).toBeUndefined();
  expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
});

test('a workflow run is one trace: StartWorkflow → RunWorkflow → StartActivity → RunActivity, exported with the service name', async () => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: requireBinary('cli') }, searchAttributes: JOURNEY_SEARCH_ATTRIBUTES, ui: false },
  });
  const ector = await listen(createEctorSandbox({ apiKey: 'tracing-ector-key' }).app, 0);
  const exporter = new InMemorySpanExporter();
  const config = loadConfig({
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: `tracing-${randomUUID()}`,
    ECTOR_BASE_URL: ector.url,
    ECTOR_API_KEY: 'tracing-ector-key',
    TEMPORAL_METRICS_BIND: '',
    OTEL_TRACES_EXPORTER: 'otlp',
    ...settings,
  });
  const tracing = startTracing(config, { exporter })!;
  try {
    const client = new Client({ connection: env.connection, dataConverter: testDataConverter(), interceptors: tracing.clientInterceptors });
    const worker = await createWorker({ config, connection: env.nativeConnection, temporal: client, tracing });
    const workflowId = `refresh-${randomUUID()}`;
    await worker.runUntil(client.workflow.execute(refreshEctorZones, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId }));

    const spans = exporter.getFinishedSpans();
    const named = (name: string): ReadableSpan => {
      const span = spans.find((s) => s.name === name);
      if (!span) throw new Error(`no ${name} span among ${spans.map((s) => s.name).join(', ')}`);
      return span;
    };
    const start = named('StartWorkflow:refreshEctorZones');
    const run = named('RunWorkflow:refreshEctorZones');
    const schedule = named('StartActivity:fetchEctorZones');
    const fetch = named('RunActivity:fetchEctorZones');
    const publish = named('RunActivity:publishEctorZones');
    expect(run.parentSpanId).toBe(start.spanContext().spanId);
    expect(schedule.parentSpanId).toBe(run.spanContext().spanId);
    expect(fetch.parentSpanId).toBe(schedule.spanContext().spanId);
    for (const span of [run, schedule, fetch, publish]) expect(span.spanContext().traceId).toBe(start.spanContext().traceId);
    expect(fetch.attributes).toMatchObject({ temporalWorkflowId: workflowId });
    expect(run.resource.attributes['service.name']).toBe('parkflow-test');
    // The activity's own client call (SignalWithStart of the zone cache) joins the same trace.
    expect(named('SignalWithStartWorkflow:ectorZoneCache').spanContext().traceId).toBe(start.spanContext().traceId);
  } finally {
    await tracing.shutdown();
    await ector.close();
    await env.teardown();
  }
  expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false); // shut down: the global provider is gone
}, 180_000);
