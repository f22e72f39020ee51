import { Runtime } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, temporalLogger } from './logger';
import { runtimeTelemetry } from './observability/runtime-metrics';
import { startService } from './service';
import { startDevServer, type DevServer } from './temporal/dev-server';

// `npm start`: the whole service in one process tree — Temporal dev server (with Web UI),
// upstream simulators, worker and API. Ctrl-C or SIGTERM stops everything within 10 s.

const SHUTDOWN_LIMIT_MS = 10_000;

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parkflow: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // The SDK's own chatter (bundling, worker state) only at debug; warnings and errors always.
  Runtime.install({
    logger: temporalLogger(
      logger.child(
        { component: 'temporal' },
        { level: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? config.LOG_LEVEL : 'warn' },
      ),
    ),
    telemetryOptions: runtimeTelemetry(config.TEMPORAL_METRICS_BIND), // the SDK's and the workflows' metrics (GET /metrics)
  });

  let devServer: DevServer | undefined;
  let stopService: (() => Promise<void>) | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping parkflow');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS - 500).unref();
    await stopService?.();
    await devServer?.stop();
    logger.info('parkflow stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (config.TEMPORAL_EMBEDDED) {
      const [host = '127.0.0.1', port = '7233'] = config.TEMPORAL_ADDRESS.split(':');
      logger.info('starting the Temporal dev server');
      devServer = await startDevServer({
        host,
        port: Number(port),
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        dataDir: config.DATA_DIR,
        codecEndpoint: config.PARKFLOW_ROLE === 'worker' ? undefined : codecEndpoint(config),
        onLog: (line) => logger.debug({ component: 'temporal-server' }, line),
      });
    }
    const service = await startService(config, logger);
    stopService = service.stop;
    const apiBase = service.apiUrl;
    console.log(
      [
        '',
        `parkflow is running (${config.PARKFLOW_ROLE === 'all' ? 'worker and API' : config.PARKFLOW_ROLE})`,
        ...(apiBase
          ? [
              `  API            ${apiBase}/v1   (X-API-Key: ${config.API_KEYS[0]?.key === 'dev-api-key' ? 'dev-api-key' : '<your key>'})`,
              `  API docs       ${apiBase}/docs   spec: ${apiBase}/openapi.json`,
            ]
          : []),
        `  Temporal UI    ${devServer ? devServer.uiUrl : '(external) ' + config.TEMPORAL_ADDRESS}`,
        ...(apiBase ? [`  Codec          ${codecEndpoint(config)}   operator sign-in: ${codecEndpoint(config)}/sign-in`] : []),
        ...Object.entries(service.sandboxes?.urls ?? {}).map(([name, url]) => `  simulator      ${name.padEnd(12)} ${url}`),
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    logger.error((err as Error).message);
    await stopService?.();
    await devServer?.stop();
    process.exit(1);
  }
}

/** Where the operator's browser reaches /codec: the API's own address, or PUBLIC_BASE_URL when it listens on every interface. */
function codecEndpoint(config: Config): string {
  if (['0.0.0.0', '::'].includes(config.API_HOST)) return `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/codec`;
  return `http://${config.API_HOST}:${config.API_PORT}/codec`;
}

void main();
