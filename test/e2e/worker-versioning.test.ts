import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { requireBinary } from '../../scripts/temporal-binaries';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter';
import { createWorker } from '../../src/worker';
import { cancelJourney, startJourney, type JourneyView } from '../../src/workflows/messages';
import { recordHistories } from '../support/histories';
import { eventually, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// Worker Versioning on the dev server: journeys started on build 1 finish on build 1 after build 2
// (whose Parking+Plus journey names its build in the result) is made current; new journeys run on
// build 2; the account workflow (AUTO_UPGRADE) moves to build 2; build 1 drains. The deployment is
// driven with the `temporal worker deployment` commands of the README's rollout.

const DEPLOYMENT = 'parkflow';
let stack: Stack;
let build2: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

beforeAll(async () => {
  stack = await startStack(
    { PARKFLOW_BUILD_ID: 'build-1' },
    {
      // Drainage is re-checked every few minutes by default; a test waits seconds.
      serverArgs: [
        '--dynamic-config-value',
        'matching.wv.VersionDrainageStatusRefreshInterval="1s"',
        '--dynamic-config-value',
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod="1s"',
      ],
    },
  );
}, 120_000);
afterAll(async () => {
  // RECORD_HISTORIES=1: the runs of the journey that continued as new, for test/replay.
  if (stack) await recordHistories(stack, (name) => name.includes('continued-as-new') || name.endsWith('.resumed'));
  if (build2) {
    build2.worker.shutdown();
    await build2.running;
    await build2.connection.close();
  }
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

/** The `temporal` CLI against the test's dev server, as an operator runs it. */
function temporalCli(...args: string[]): string {
  return execFileSync(requireBinary('cli'), [...args, '--address', stack.env.address], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** set-current-version, once the build's workers have polled (the version exists from their first poll). */
async function setCurrent(buildId: string): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      try {
        temporalCli('worker', 'deployment', 'set-current-version', '--deployment-name', DEPLOYMENT, '--build-id', buildId, '--yes');
        return true;
      } catch (err) {
        last = String((err as { stderr?: string }).stderr ?? err);
        return undefined;
      }
    },
    30_000,
    `${buildId} current (${last})`,
  );
}

function describeVersion(buildId: string): { drainageInfo?: { drainageStatus?: string } } {
  return JSON.parse(
    temporalCli('worker', 'deployment', 'describe-version', '--deployment-name', DEPLOYMENT, '--build-id', buildId, '--output', 'json'),
  );
}

/** The build id of every workflow task the run completed, in order. */
async function taskBuilds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes)
    .filter((a) => !!a)
    .map((a) => a.deploymentVersion?.buildId ?? 'unversioned');
}

async function versioning(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: info?.behavior, buildId: info?.deploymentVersion?.buildId };
}

async function linkDriver(email: string): Promise<string> {
  const res = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: email, password: 'sekret' } });
  expect(res.status).toBe(201);
  return res.body.accountId;
}

/** An active Parking+Plus journey through the API: started, the car through the gate, entered. */
async function activeJourney(accountId: string): Promise<string> {
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'parkingplus', accountId, securedParkingId: 187 },
  });
  expect(started.status).toBe(201);
  await fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${started.body.upstream.reference}/gate`, { method: 'POST' });
  expect((await stack.api(`/v1/journeys/${started.body.id}/enter`, { body: {} })).body.state).toBe('active');
  return started.body.id;
}

const handle = (workflowId: string) => stack.service.temporal.workflow.getHandle(workflowId);
const PINNED = 1; // temporal.api.enums.v1.VersioningBehavior
const AUTO_UPGRADE = 2;

describe('a deploy of build 2 while build-1 journeys run', () => {
  const ids = { accountId: '', build1Journey: '', build1FirstRun: '', chained: '', build2Journey: '' };
  let build2CurrentAt = 0;

  test('build 1 is current: a journey starts and runs on build 1', async () => {
    await setCurrent('build-1');
    ids.accountId = await linkDriver('versioning@example.com');
    ids.build1Journey = await activeJourney(ids.accountId);
    ids.build1FirstRun = (await handle(ids.build1Journey).describe()).runId;
    expect(await versioning(handle(ids.build1Journey))).toEqual({ behavior: PINNED, buildId: 'build-1' });

    // A journey of another driver with a tiny history limit: it continues as new every few polls.
    const other = await linkDriver('versioning-chain@example.com');
    ids.chained = `journey-versioning-${randomUUID()}`;
    await stack.service.temporal.workflow.executeUpdateWithStart(startJourney, {
      args: [{ requestHash: 'chained' }],
      startWorkflowOperation: new WithStartWorkflowOperation('parkingPlusJourney', {
        workflowId: ids.chained,
        workflowIdConflictPolicy: 'FAIL',
        taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
        args: [{ accountId: other, securedParkingId: 187, requestHash: 'chained', polling: { firstMs: 300, maxMs: 300 }, historyLimit: 100 }],
      }),
    });
  });

  test('build 2 is deployed and made current: a new journey runs on build 2, build 1 drains', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/build-2/workflows'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error },
    });
    const connection = await NativeConnection.connect({ address: stack.env.address });
    const config = { ...stack.config, PARKFLOW_BUILD_ID: 'build-2' };
    const worker = await createWorker({ config, connection, temporal: stack.service.temporal, workflowBundle: bundle });
    build2 = { worker, running: worker.run(), connection };

    await setCurrent('build-2');
    build2CurrentAt = Date.now();
    ids.build2Journey = await activeJourney(await linkDriver('versioning-2@example.com'));
    expect(await versioning(handle(ids.build2Journey))).toEqual({ behavior: PINNED, buildId: 'build-2' });
    await eventually(async () => (describeVersion('build-1').drainageInfo?.drainageStatus === 'draining' ? true : undefined));
  });

  test('the build-1 journey finishes on build 1, the build-2 journey on build 2', async () => {
    for (const id of [ids.build1Journey, ids.build2Journey]) {
      expect((await stack.api(`/v1/journeys/${id}/cancel`, { body: {} })).body.state).toBe('cancelled');
    }
    const first = await handle(ids.build1Journey).result();
    const second = await handle(ids.build2Journey).result();
    expect((first as JourneyView).upstream.build).toBeUndefined();
    expect((second as JourneyView).upstream.build).toBe('build-2');

    // Every workflow task of each, the cancel's too (sent after build 2 became current), on its own build; no continue-as-new.
    expect(new Set(await taskBuilds(handle(ids.build1Journey)))).toEqual(new Set(['build-1']));
    expect(new Set(await taskBuilds(handle(ids.build2Journey)))).toEqual(new Set(['build-2']));
    expect((await handle(ids.build1Journey).describe()).runId).toBe(ids.build1FirstRun);
  });

  test('npm run replay -- <workflow id> fetches the build-1 journey and replays it against the current code', () => {
    const env = { ...process.env, NODE_ENV: 'test', TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE };
    const replay = spawnSync('npm', ['run', '--silent', 'replay', '--', ids.build1Journey], { env, encoding: 'utf8' });
    expect({ status: replay.status, stderr: replay.stderr.replace(/^npm warn.*\n/gm, '') }).toEqual({ status: 0, stderr: '' });
    expect(replay.stdout).toMatch(new RegExp(`^${ids.build1Journey}: replays against the current workflow code \\(\\d+ events\\)$`, 'm'));
  });

  test('a pinned journey that continues as new stays on build 1', async () => {
    const later = await eventually(
      async () => {
        const run = await handle(ids.chained).describe();
        return run.startTime.getTime() > build2CurrentAt + 1_000 && run.historyLength > 10 ? run : undefined;
      },
      30_000,
      'a run continued after build 2 became current',
    );
    const run = stack.service.temporal.workflow.getHandle(ids.chained, later.runId);
    expect(await versioning(run)).toEqual({ behavior: PINNED, buildId: 'build-1' });
    expect(new Set(await taskBuilds(run))).toEqual(new Set(['build-1']));
    expect((await handle(ids.chained).executeUpdate(cancelJourney, { args: [{}] })).state).toBe('cancelled');
    expect(new Set(await taskBuilds(handle(ids.chained)))).toEqual(new Set(['build-1']));
  });

  test("the build-1 journey's account workflow (AUTO_UPGRADE) moves to build 2 at its first task after the switch", async () => {
    expect(await linkDriver('versioning@example.com')).toBe(ids.accountId); // the driver links again: one task
    const builds = await taskBuilds(handle(ids.accountId));
    expect(builds[0]).toBe('build-1');
    expect(builds.at(-1)).toBe('build-2');
    expect(builds.indexOf('build-2')).toBeGreaterThan(builds.lastIndexOf('build-1')); // it never went back
    expect(await versioning(handle(ids.accountId))).toEqual({ behavior: AUTO_UPGRADE, buildId: 'build-2' });
  });

  test('with its pinned journeys ended, build 1 is drained: its workers may stop', async () => {
    await eventually(
      async () => (describeVersion('build-1').drainageInfo?.drainageStatus === 'drained' ? true : undefined),
      30_000,
      'build 1 drained',
    );
    const deployment = JSON.parse(temporalCli('worker', 'deployment', 'describe', '--name', DEPLOYMENT, '--output', 'json'));
    expect(deployment.routingConfig).toMatchObject({ currentVersionDeploymentName: DEPLOYMENT, currentVersionBuildID: 'build-2' });
    expect(deployment.versionSummaries).toEqual(
      expect.arrayContaining([expect.objectContaining({ BuildID: 'build-1', drainageStatus: 'drained' })]),
    );
  });
});
