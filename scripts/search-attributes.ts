// npm run search-attributes: registers parkflow's search attributes (JourneyProvider, JourneyState,
// JourneyPlateKey, …) on the namespace of the cluster the environment names (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS or API key). `npm start`'s embedded dev server registers them itself;
// this is for a real cluster, before the first worker starts. Safe to repeat.
import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { connectClient } from '../src/temporal/connection';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const client = await connectClient(config);
  try {
    const { added, present } = await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
    logger.info({ namespace: config.TEMPORAL_NAMESPACE, added, present }, 'search attributes in place');
  } finally {
    await client.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(`search-attributes: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
