import { loadConfig } from './config';

// The image's HEALTHCHECK, `node dist/healthcheck.js`: exit 0 when this container's parkflow answers.
// The API (role api or all) on /healthz; a worker through its Temporal Runtime's metrics address
// (TEMPORAL_METRICS_BIND), the one port a worker serves. A worker without it has nothing to ask.

const TIMEOUT_MS = 2_000;

function probeUrl(): string | undefined {
  const config = loadConfig();
  const local = (host: string) => (['0.0.0.0', '::', '[::]'].includes(host) ? '127.0.0.1' : host);
  if (config.PARKFLOW_ROLE !== 'worker') return `http://${local(config.API_HOST)}:${config.API_PORT}/healthz`;
  if (!config.TEMPORAL_METRICS_BIND) return undefined;
  const at = config.TEMPORAL_METRICS_BIND.lastIndexOf(':');
  return `http://${local(config.TEMPORAL_METRICS_BIND.slice(0, at))}:${config.TEMPORAL_METRICS_BIND.slice(at + 1)}/metrics`;
}

async function main(): Promise<void> {
  const url = probeUrl();
  if (!url) return;
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}

main().catch((err: unknown) => {
  console.error(`unhealthy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
