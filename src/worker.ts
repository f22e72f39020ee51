import { type Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createActivities } from './activities';
import { type Config } from './config';
import { type Tracing } from './observability/tracing';
import { createDataConverter } from './temporal/data-converter';
import { workerTuning } from './temporal/settings';
import { workerDeploymentOptions } from './temporal/worker-versioning';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  /** The client activities use to reach account workflows (tokens). */
  temporal: Client;
  /** A prebuilt bundle (tests build one per file); otherwise the worker bundles src/workflows. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** OpenTelemetry interceptors and sink, when tracing is on. */
  tracing?: Tracing;
}

// --- Workflow code and worker sizing (issue 11: production runs from a build) ---
/** Where `npm run build` writes the prebuilt workflow bundle: next to the compiled worker (dist/). */
export const PREBUILT_WORKFLOW_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

/** The workflow code a worker runs: the caller's bundle (tests), the prebuilt one (dist/), or src/workflows bundled at start. */
export function workflowCode(bundle?: WorkflowBundleWithSourceMap): {
  options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
  source: string;
} {
  if (bundle) return { options: { workflowBundle: bundle }, source: 'bundle given by the caller' };
  const codePath = PREBUILT_WORKFLOW_BUNDLE;
  if (existsSync(codePath)) return { options: { workflowBundle: { codePath } }, source: codePath };
  return { options: { workflowsPath: require.resolve('./workflows') }, source: 'src/workflows, bundled at start' };
}
// --- end workflow code ---

export function createWorker({ config, connection, temporal, workflowBundle, tracing }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowCode(workflowBundle).options,
    // Tracing's workflow interceptors live in the bundle: with tracing on, src/workflows is bundled with them at start.
    ...(tracing && { workflowBundle: undefined, workflowsPath: require.resolve('./workflows'), ...tracing.workerOptions }),
    ...workerTuning(config),
    activities: createActivities({ config, temporal }),
    dataConverter: createDataConverter(config),
    workerDeploymentOptions: workerDeploymentOptions(config),
  });
}
