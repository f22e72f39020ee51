import { type WorkerDeploymentOptions } from '@temporalio/worker';
import { type Config } from '../config';

// Worker Versioning: a worker with PARKFLOW_BUILD_ID is one version (build) of the Worker Deployment
// PARKFLOW_DEPLOYMENT_NAME, and Temporal routes each workflow to the build its versioning behaviour
// allows (see each workflow's setWorkflowOptions). Without a build id the worker is unversioned.

export function workerDeploymentOptions(
  config: Pick<Config, 'PARKFLOW_DEPLOYMENT_NAME' | 'PARKFLOW_BUILD_ID'>,
): WorkerDeploymentOptions | undefined {
  if (!config.PARKFLOW_BUILD_ID) return undefined;
  return {
    version: { deploymentName: config.PARKFLOW_DEPLOYMENT_NAME, buildId: config.PARKFLOW_BUILD_ID },
    useWorkerVersioning: true,
    // Every workflow type declares its own (src/workflows/versioning.ts). The default is for runs started
    // before versioning was turned on: they keep moving to the newest build, as they always did (patched()).
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  };
}
