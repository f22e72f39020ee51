// npm run chaos: N journeys of every provider (default 300) through the HTTP API against the
// production build run as separate processes (Temporal dev server with its state on disk, the
// simulators, the worker, the API), while it kills and restarts them and makes the upstreams fail.
// Then it reconciles the simulators' books and Temporal, prints a table, writes it as JSON and exits
// 1 on any loss, double charge, stuck journey, 5xx without Retry-After or crash. Loopback only.
//
//   npm run chaos                                  # 300 journeys, 12 at a time
//   npm run chaos -- --journeys 60 --concurrency 6 --seed 7
//   npm run chaos -- --profile short               # what `npm test` runs (test/e2e/chaos.test.ts)
//   npm run chaos -- --report .data/chaos.json     # where the JSON goes (default: <run dir>/report.json)
//   npm run chaos -- --no-build                    # dist/ is already built from this source
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatReport } from './chaos/report';
import { runChaos, type ChaosOptions } from './chaos/run';

const PROFILES = {
  full: { journeys: 300, concurrency: 12, maxMinutes: 40 },
  short: { journeys: 24, concurrency: 4, maxMinutes: 8 },
} as const;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : process.env[`CHAOS_${name.toUpperCase().replace(/-/g, '_')}`];
}

const flag = (name: string) => process.argv.includes(`--${name}`) || process.env[`CHAOS_${name.toUpperCase().replace(/-/g, '_')}`] === '1';

function positive(name: string, fallback: number): number {
  const value = Number(option(name) ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

async function main(): Promise<number> {
  const profile = option('profile') === 'short' ? 'short' : 'full';
  const defaults = PROFILES[profile];
  const runDir = option('run-dir') ?? mkdtempSync(path.join(tmpdir(), 'parkflow-chaos-'));
  const options: ChaosOptions = {
    profile,
    journeys: positive('journeys', defaults.journeys),
    concurrency: positive('concurrency', defaults.concurrency),
    seed: option('seed') ?? String(Date.now()),
    runDir,
    maxMinutes: positive('max-minutes', defaults.maxMinutes),
    // Per run: a journey continues as new at 5,000 events; Temporal itself warns at 10,240 events or 10 MB.
    historyBudget: { events: positive('history-events', 6000), bytes: positive('history-bytes', 4 * 1024 * 1024) },
    onProgress: (line) => console.log(`chaos: ${line}`),
  };
  if (!flag('no-build')) {
    console.log('chaos: building (npm run build: the processes run dist/)');
    const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
    if (build.status !== 0) return 2;
  }
  const report = await runChaos(options);
  const file = option('report') ?? path.join(runDir, 'report.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatReport(report));
  console.log(`report: ${file}`);
  return report.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${(err as Error).stack}`);
    process.exit(2);
  },
);
