import { loadConfig } from '../src/config';
import { DEFAULT_MAX_CACHED_WORKFLOWS, workerTuning } from '../src/temporal/settings';

// Worker sizing from the environment: each variable set becomes its SDK option; unset (or empty,
// as Compose passes an unset `${VAR:-}`) keeps the SDK's default — except the workflow cache, which
// parkflow bounds (the SDK's default, sized from the heap, holds a gigabyte once full).

describe('worker tuning', () => {
  test('unset or empty: no option but the bounded cache, the SDK decides the rest', () => {
    expect(workerTuning(loadConfig({}))).toEqual({ maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS });
    const empty = { WORKER_MAX_CONCURRENT_ACTIVITIES: '', WORKER_MAX_CACHED_WORKFLOWS: '', WORKER_POLLER_AUTOSCALING: '' };
    expect(workerTuning(loadConfig(empty))).toEqual({ maxCachedWorkflows: 256 });
  });

  test('each variable becomes its worker option', () => {
    const config = loadConfig({
      WORKER_MAX_CONCURRENT_ACTIVITIES: '250',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
      WORKER_POLLER_AUTOSCALING: 'true',
    });
    expect(workerTuning(config)).toEqual({
      maxConcurrentActivityTaskExecutions: 250,
      maxConcurrentWorkflowTaskExecutions: 80,
      maxCachedWorkflows: 0,
      workflowTaskPollerBehavior: { type: 'autoscaling' },
      activityTaskPollerBehavior: { type: 'autoscaling' },
    });
    expect(workerTuning(loadConfig({ WORKER_POLLER_AUTOSCALING: 'false' }))).toEqual({ maxCachedWorkflows: 256 });
  });

  test('a bad value names its variable', () => {
    expect(() => loadConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(/WORKER_MAX_CONCURRENT_ACTIVITIES/);
    expect(() => loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'many' })).toThrow(/WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/);
    expect(() => loadConfig({ WORKER_POLLER_AUTOSCALING: 'sometimes' })).toThrow(/WORKER_POLLER_AUTOSCALING/);
  });
});
