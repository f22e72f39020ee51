import { ConfigError, loadConfig } from '../config';
import { startSandboxes } from '.';

// `node dist/sandbox/main.js`: the upstream simulators alone, as their own process (the chaos run
// kills and restarts the worker and the API around them). Same settings as `npm start`
// (SANDBOX_*_PORT, DATA_DIR for their state on disk); SIGTERM/SIGINT close them.

async function main(): Promise<void> {
  const config = loadConfig();
  const sandboxes = await startSandboxes(config);
  const stop = () => void sandboxes.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(JSON.stringify({ msg: 'simulators running', urls: sandboxes.urls }));
}

main().catch((err: unknown) => {
  console.error(`simulators: ${err instanceof ConfigError ? err.message : (err as Error).stack}`);
  process.exit(1);
});
