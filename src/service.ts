import { type Client } from '@temporalio/client';
import { type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type Logger } from 'pino';
import { parkingPlusClient } from './activities';
import { createApp } from './api/app';
import { type Config } from './config';
import { SecretBox } from './domain/sealed';
import { startTracing } from './observability/tracing';
import { logUpstreamCallsTo } from './observability/upstream-calls';
import { workerMetricsApp } from './observability/worker-metrics';
import { listen, type Listening } from './sandbox/harness';
import { startSandboxes, type RunningSandboxes } from './sandbox';
import { createDataConverter } from './temporal/data-converter';
import { connectClient, connectWorker } from './temporal/connection';
import { ensureSchedules } from './temporal/schedules';
import { createWorker, workflowCode } from './worker';

// parkflow's own processes on one Temporal: the simulators (when enabled), the worker and the API.
// `npm start`, the end-to-end tests and the benchmark all start it the same way.

export interface Service {
  /** Where the API listens (undefined for a worker-only process). */
  apiUrl?: string;
  temporal: Client;
  sandboxes?: RunningSandboxes;
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  logger: Logger,
  options: { workflowBundle?: WorkflowBundleWithSourceMap; apiHost?: string } = {},
): Promise<Service> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) {
      await step().catch((err: unknown) => logger.warn({ err }, 'shutdown step failed'));
    }
  };
  try {
    const sandboxes = config.SANDBOX_ENABLED ? await startSandboxes(config) : undefined;
    if (sandboxes) stops.push(() => sandboxes.close());

    // Observability: every upstream call logged; traces when OTEL_TRACES_EXPORTER is set (stopped last, to send what is left).
    logUpstreamCallsTo(logger);
    const tracing = startTracing(config);
    if (tracing) stops.push(() => tracing.shutdown());

    const temporal = await connectClient(config, { dataConverter: createDataConverter(config), interceptors: tracing?.clientInterceptors });
    stops.push(() => temporal.connection.close());

    if (config.PARKFLOW_ROLE !== 'api') {
      const workerConnection = await connectWorker(config);
      stops.push(() => workerConnection.close());
      const worker = await createWorker({
        config,
        connection: workerConnection,
        temporal,
        workflowBundle: options.workflowBundle,
        tracing,
      });
      const running = worker.run();
      const workflows = tracing ? 'src/workflows, bundled at start with tracing' : workflowCode(options.workflowBundle).source;
      logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, workflows }, 'worker running');
      stops.push(async () => {
        // The SDK drains on SIGINT/SIGTERM by itself; shut down only if it has not begun.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      // Not fatal: journeys run without it; the zones then wait for `npm run schedules`.
      await ensureSchedules(temporal, config, logger).catch((err: unknown) =>
        logger.error({ err }, 'could not set up the Temporal schedules'),
      );
    }
    if (config.PARKFLOW_ROLE === 'worker') {
      if (config.WORKER_METRICS_PORT !== undefined) {
        const metrics = await listen(workerMetricsApp(config), config.WORKER_METRICS_PORT, config.API_HOST, 'worker metrics');
        stops.push(() => metrics.close());
      }
      return { temporal, sandboxes, stop };
    }

    const box = new SecretBox(config.PARKFLOW_SECRET_KEY);
    const parkingPlus = parkingPlusClient(config);
    const api: Listening = await listen(
      createApp({ config, temporal, parkingPlus, box, logger }),
      config.API_PORT,
      options.apiHost ?? config.API_HOST,
      'API',
    );
    stops.push(() => api.close());
    return { apiUrl: api.url, temporal, sandboxes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
