// What the cluster scripts (npm run schedules, npm run search-attributes) share: the configuration
// from the environment (and .env), one client from the client factory, an exit code.
import { type Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { type Logger } from 'pino';
import { loadConfig, type Config } from '../src/config';
import { createLogger } from '../src/logger';
import { connectClient } from '../src/temporal/connection';

export function runClusterScript(name: string, step: (client: Client, config: Config, logger: Logger) => Promise<void>): void {
  const main = async () => {
    if (existsSync('.env')) process.loadEnvFile('.env');
    const config = loadConfig();
    const client = await connectClient(config);
    try {
      await step(client, config, createLogger(config.LOG_LEVEL));
    } finally {
      await client.connection.close();
    }
  };
  main().catch((err: unknown) => {
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
