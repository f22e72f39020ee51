import { loadConfig } from './config';
import { createLogger } from './logger';
import { connectClient } from './temporal/connection';
import { ensureSchedules } from './temporal/schedules';
import { ensureSearchAttributes } from './temporal/search-attributes';

// `node dist/cluster-setup.js`, the image's one-shot before the first worker: parkflow's search
// attributes on the namespace and its schedules, on the cluster the environment names. What
// `npm run search-attributes` and `npm run schedules` do from a checkout. Safe to repeat.

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const client = await connectClient(config);
  try {
    const { added, present } = await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
    logger.info({ namespace: config.TEMPORAL_NAMESPACE, added, present }, 'search attributes in place');
    await ensureSchedules(client, config, logger);
    logger.info({ namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'schedules in place');
  } finally {
    await client.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(`cluster-setup: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
