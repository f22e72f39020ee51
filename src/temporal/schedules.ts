import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type ScheduleOptions,
} from '@temporalio/client';
import { type Logger } from 'pino';
import { ECTOR_ZONE_CACHE_ID, ECTOR_ZONES_SCHEDULE_ID } from '../workflows/ector-zone-messages';
import { refreshEctorZones } from '../workflows/ector-zones';
import { reconciliation } from '../workflows/reconciliation';
import { RECONCILIATION_SCHEDULE_ID } from '../workflows/reconciliation-messages';

// parkflow's Schedules, created by every worker at start (and by `npm run schedules` against a
// cluster): creating one that exists is harmless, so any number of workers may run this at once.

type ScheduleLogger = Pick<Logger, 'info' | 'warn'>;

/** Ector's zones, refreshed every night at 04:00 Paris time (seed 004: "updated once a day"). */
export function ectorZonesSchedule(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: ECTOR_ZONES_SCHEDULE_ID,
    spec: { calendars: [{ hour: 4, minute: 0, comment: 'once a day, at night' }], timezone: 'Europe/Paris' },
    action: {
      type: 'startWorkflow',
      workflowType: refreshEctorZones,
      workflowId: ECTOR_ZONES_SCHEDULE_ID,
      taskQueue,
      args: [],
    },
    // A missed night (Temporal down at 04:00) is caught up when it is back within the day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/**
 * The nightly reconciliation at 03:00 UTC, of the UTC day before (src/reconciliation/day.ts): the
 * day's payments have settled by then (an attempt's watch outlives its deadline by hours at most).
 */
export function reconciliationSchedule(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: RECONCILIATION_SCHEDULE_ID,
    spec: { calendars: [{ hour: 3, minute: 0, comment: 'every night, the day before' }], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: reconciliation,
      workflowId: RECONCILIATION_SCHEDULE_ID,
      taskQueue,
      args: [{}],
    },
    // A missed night is caught up within the day; its run still takes the day before its scheduled time.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

export async function ensureSchedules(client: Client, config: { TEMPORAL_TASK_QUEUE: string }, logger?: ScheduleLogger): Promise<void> {
  await ensureEctorZonesSchedule(client, config.TEMPORAL_TASK_QUEUE, logger);
  await ensureReconciliationSchedule(client, config.TEMPORAL_TASK_QUEUE, logger);
}

async function ensureReconciliationSchedule(client: Client, taskQueue: string, logger?: ScheduleLogger): Promise<void> {
  const options = reconciliationSchedule(taskQueue);
  if (await createOrMove(client, options, taskQueue, logger))
    logger?.info({ scheduleId: options.scheduleId }, 'schedule created; the reconciliation runs every night at 03:00 UTC');
}

async function ensureEctorZonesSchedule(client: Client, taskQueue: string, logger?: ScheduleLogger): Promise<void> {
  const options = ectorZonesSchedule(taskQueue);
  // The first run right away: a fresh install has its zones at once, not after the next 04:00. Not
  // `state.triggerImmediately`: that run is ALLOW_ALL, which the Schedule does not count as running,
  // so a second worker's SKIP trigger would start another beside it.
  const trigger = () => client.schedule.getHandle(options.scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
  if (await createOrMove(client, options, taskQueue, logger)) {
    await trigger();
    logger?.info({ scheduleId: options.scheduleId }, 'schedule created; the first Ector zone refresh runs now');
    return;
  }
  if (!(await isRunning(client, ECTOR_ZONE_CACHE_ID))) {
    // Created before, but the cache never filled (the first fetch failed, or the process stopped
    // before its trigger) or was ended: refresh now. SKIP: not beside a refresh under way.
    await trigger();
    logger?.info({ scheduleId: options.scheduleId }, 'no Ector zone cache yet: refresh triggered (skipped if one is under way)');
  }
}

/** Creates the Schedule (true), or finds it and moves its action to this task queue if it names another (false). */
async function createOrMove(client: Client, options: ScheduleOptions, taskQueue: string, logger?: ScheduleLogger): Promise<boolean> {
  try {
    await client.schedule.create(options);
    return true;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  const { action } = await handle.describe();
  if (action.type === 'startWorkflow' && action.taskQueue !== taskQueue) {
    // Its runs would wait on a queue no worker polls any more.
    await handle.update((previous) => ({ ...previous, action: options.action }));
    logger?.warn({ scheduleId: options.scheduleId, from: action.taskQueue, to: taskQueue }, 'schedule moved to this task queue');
  }
  return false;
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
