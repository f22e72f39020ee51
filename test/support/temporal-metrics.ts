import { DefaultLogger, Runtime } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { runtimeTelemetry } from '../../src/observability/runtime-metrics';

// For a test that reads the SDK's and the workflows' metrics: the Temporal Runtime, installed with
// Prometheus on a free port the way src/main.ts installs it. The Runtime is installed once per test
// file, by whoever comes first, so a test file imports this module BEFORE anything that imports
// ./temporal (which installs it without metrics); installed already, this throws instead of
// leaving the test without the metrics it means to read.

/** Where the Runtime serves its metrics: give it to the stack as TEMPORAL_METRICS_BIND. */
export const TEMPORAL_METRICS_BIND = `127.0.0.1:${freePortNow()}`;

Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: runtimeTelemetry(TEMPORAL_METRICS_BIND) });

/** A free port, found before anything else is imported (module code cannot await). */
function freePortNow(): number {
  const probe = `const s = require('net').createServer().listen(0, '127.0.0.1', () => { process.stdout.write(String(s.address().port)); s.close(); });`;
  return Number(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}
