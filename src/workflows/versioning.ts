import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

// Each workflow type declares how it moves between worker builds (Worker Versioning); the README's
// "Deploying a new build" says which and why.

const declared = new Map<string, VersioningBehavior>();

/**
 * Declares `workflow`'s versioning behaviour. It is sent only from a versioned worker (a build of a
 * Worker Deployment): the server refuses a behaviour from an unversioned one (`npm start`, tests).
 * A run first handled by an unversioned worker (started before versioning) keeps the worker's default.
 */
export function declareVersioning(workflow: (...args: never[]) => Promise<unknown>, behavior: VersioningBehavior): void {
  declared.set(workflow.name, behavior);
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {}), workflow);
}

/** What each workflow type declared, by type name (for tests and docs). */
export function declaredVersioning(): ReadonlyMap<string, VersioningBehavior> {
  return declared;
}
