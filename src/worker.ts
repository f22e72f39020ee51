import { type Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from './activities';
import { type Config } from './config';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  /** The client activities use to reach account workflows (tokens). */
  temporal: Client;
  /** A prebuilt bundle (tests build one per file); otherwise the worker bundles src/workflows. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export function createWorker({ config, connection, temporal, workflowBundle }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({ config, temporal }),
  });
}
