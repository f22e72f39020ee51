import { loadConfig } from '../src/config';
import { workerDeploymentOptions } from '../src/temporal/worker-versioning';
import * as workflows from '../src/workflows';
import { declaredVersioning } from '../src/workflows/versioning';

// What each workflow type declares (src/workflows/*.ts, declareVersioning) and why is in the README
// ("Deploying a new build"); test/e2e/worker-versioning.test.ts shows it on the dev server.
test('every workflow type parkflow runs declares its versioning behaviour', () => {
  const declared = Object.fromEntries(Object.keys(workflows).map((type) => [type, declaredVersioning().get(type)]));
  expect(declared).toEqual({
    parkingPlusJourney: 'PINNED',
    linkcJourney: 'PINNED',
    ectorJourney: 'PINNED',
    payment: 'PINNED',
    refreshEctorZones: 'PINNED',
    reconciliation: 'PINNED',
    eventStream: 'PINNED',
    parkingPlusAccount: 'AUTO_UPGRADE',
    ectorZoneCache: 'AUTO_UPGRADE',
    subscriptions: 'AUTO_UPGRADE',
  });
});

test('without PARKFLOW_BUILD_ID (or with it empty) the worker is unversioned', () => {
  expect(workerDeploymentOptions(loadConfig({}))).toBeUndefined();
  expect(workerDeploymentOptions(loadConfig({ PARKFLOW_BUILD_ID: '' }))).toBeUndefined();
});

test('with PARKFLOW_BUILD_ID the worker is that build of the deployment; runs from before versioning keep upgrading', () => {
  expect(workerDeploymentOptions(loadConfig({ PARKFLOW_BUILD_ID: '2026.11.24-4f2a9c1' }))).toEqual({
    version: { deploymentName: 'parkflow', buildId: '2026.11.24-4f2a9c1' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  });
  expect(workerDeploymentOptions(loadConfig({ PARKFLOW_BUILD_ID: 'b7', PARKFLOW_DEPLOYMENT_NAME: 'parkflow-eu' }))?.version).toEqual({
    deploymentName: 'parkflow-eu',
    buildId: 'b7',
  });
});

test('a deployment name with a dot, or a build id with a space, is refused naming the variable', () => {
  expect(() => loadConfig({ PARKFLOW_DEPLOYMENT_NAME: 'park.flow' })).toThrow(/PARKFLOW_DEPLOYMENT_NAME/);
  expect(() => loadConfig({ PARKFLOW_BUILD_ID: 'build 2' })).toThrow(/PARKFLOW_BUILD_ID/);
});
