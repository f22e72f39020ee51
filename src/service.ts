import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type Logger } from 'pino';
import { parkingPlusClient } from './activities';
import { createApp } from './api/app';
import { type Config } from './config';
import { SecretBox } from './domain/sealed';
import { listen, type Listening } from './sandbox/harness';
import { startSandboxes, type RunningSandboxes } from './sandbox';
import { ensureSchedules } from './temporal/schedules';
import { createWorker } from './worker';

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

    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    stops.push(() => clientConnection.close());
    const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });

    if (config.PARKFLOW_ROLE !== 'api') {
      const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
      stops.push(() => workerConnection.close());
      const worker = await createWorker({ config, connection: workerConnection, temporal, workflowBundle: options.workflowBundle });
      const running = worker.run();
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
    if (config.PARKFLOW_ROLE === 'worker') return { temporal, sandboxes, stop };

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
