// npm run schedules: creates parkflow's Temporal Schedules (the daily Ector zone refresh, the nightly reconciliation) on the
// cluster the environment names (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key, TEMPORAL_TASK_QUEUE). Every
// worker does the same at start; this is for a cluster set up before any worker runs. Safe to repeat.
import { ensureSchedules } from '../src/temporal/schedules';
import { runClusterScript } from './cluster-script';

runClusterScript('schedules', async (client, config, logger) => {
  await ensureSchedules(client, config, logger);
  logger.info({ namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'schedules in place');
});
