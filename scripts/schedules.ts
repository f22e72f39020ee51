// npm run schedules: creates parkflow's Temporal Schedules (the daily Ector zone refresh) on the
// cluster the environment names (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key, TEMPORAL_TASK_QUEUE). Every
// worker does the same at start; this is for a cluster set up before any worker runs. Safe to repeat.
import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { connectClient } from '../src/temporal/connection';
import { ensureSchedules } from '../src/temporal/schedules';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const client = await connectClient(config);
  try {
    await ensureSchedules(client, config, logger);
    logger.info({ namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'schedules in place');
  } finally {
    await client.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(`schedules: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
