// npm run bench: parkflow against the bare engine, side by side in one run on this machine.
//   npm run bench                      the full run (concurrency 1, 8, 32, 128; 10,000 open journeys)
//   npm run bench -- --profile quick   a short one (concurrency 1 and 4, 200 open journeys)
//   --kinds linkc,ector  --concurrency 1,16  --open 2000  --no-scale  --no-build  --out <dir>
// It builds dist/, starts the production entries as separate processes (Temporal dev server, simulators
// at zero added latency, worker, API), runs the bare workflows on the same dev server from this process,
// and writes bench/results/<profile>.json and .svg.
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { requireBinary } from './temporal-binaries';
import { startChaosProcesses } from './chaos/processes';
import { BareDriver, startBareWorker } from './bench/bare-journeys';
import { renderChart } from './bench/chart';
import { cpuPerJourney, cpuSnapshot } from './bench/cpu';
import { meanCounts } from './bench/histories';
import { runLevel, type Drive } from './bench/load';
import { ParkflowDriver } from './bench/parkflow-journeys';
import { printResults } from './bench/report';
import { type BenchResults, type JourneyKind, type KindResults } from './bench/results';
import { measureScale } from './bench/scale';

const PROFILES = {
  full: { concurrencies: [1, 8, 32, 128], journeys: (c: number) => Math.max(20, 3 * c), openJourneys: 10_000, settleMs: 60_000 },
  quick: { concurrencies: [1, 4], journeys: (c: number) => Math.max(6, 2 * c), openJourneys: 200, settleMs: 10_000 },
};
const API_KEY = 'bench-api-key-0123456789abcdef';
const HISTORY_SAMPLE = 5;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'full' },
      kinds: { type: 'string', default: 'parkingplus,linkc,ector' },
      concurrency: { type: 'string' },
      open: { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string', default: path.resolve(__dirname, '../bench/results') },
    },
  });
  const profileName = values.profile as keyof typeof PROFILES;
  if (!PROFILES[profileName]) throw new Error(`unknown profile ${values.profile} (full or quick)`);
  const profile = { ...PROFILES[profileName], ...(values.concurrency && { concurrencies: values.concurrency.split(',').map(Number) }) };
  const kinds = values.kinds.split(',').filter(Boolean) as JourneyKind[];
  const openJourneys = values.open ? Number(values.open) : profile.openJourneys;
  const began = Date.now();
  if (!values['no-build']) execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', cwd: path.resolve(__dirname, '..') });

  const runDir = mkdtempSync(path.join(os.tmpdir(), 'parkflow-bench-'));
  console.log(`bench: ${profileName} profile; processes' logs in ${runDir}/logs`);
  // BENCH_CPU_PROFILE=<dir>: each process writes a V8 CPU profile there when it stops (what dominates a gap).
  const cpuProfile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  // The service as configured by default; the benchmark's own variables (BENCH_ENV_<NAME>=value) override one setting.
  const settings = Object.fromEntries(
    Object.entries(process.env).flatMap(([name, value]) => (name.startsWith('BENCH_ENV_') && value ? [[name.slice(10), value]] : [])),
  );
  const processes = await startChaosProcesses(
    runDir,
    API_KEY,
    { LOG_LEVEL: 'info', SANDBOX_STATE_ON_DISK: 'false', ...settings },
    cpuProfile,
  );
  // Stopped from outside (Ctrl-C, a test's timeout): the child processes stop with it, not orphaned.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void processes.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  const address = `127.0.0.1:${processes.ports.temporal}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const bareWorker = await startBareWorker(address);
  const parkflow = new ParkflowDriver({
    apiUrl: `http://127.0.0.1:${processes.ports.api}`,
    apiKey: API_KEY,
    simulators: { parkingplus: `http://127.0.0.1:${processes.ports.parkingplus}`, linkc: `http://127.0.0.1:${processes.ports.linkc}` },
  });
  const bare = new BareDriver(client);
  const pids = () => ({
    server: processes.devServer.pid,
    worker: processes.worker.pid,
    api: processes.api.pid,
    simulators: processes.simulators.pid,
    bench: process.pid,
  });
  /** A level, with the CPU each process spent on it. */
  const profiled = async (level: () => ReturnType<typeof runLevel>) => {
    const before = cpuSnapshot(pids());
    const result = await level();
    result.run.cpuMsPerJourney = cpuPerJourney(before, cpuSnapshot(pids()), result.run.journeys);
    return result;
  };
  const results: BenchResults = {
    profile: profileName,
    startedAt: new Date(began).toISOString(),
    seconds: 0,
    machine: machine(),
    concurrencies: profile.concurrencies,
    kinds: [],
  };
  try {
    for (const kind of kinds) {
      const drivePark: Drive = (slot, times) => parkflow.drive(kind, slot, times);
      const driveBare: Drive = (slot, times) => bare.drive(kind, slot, times);
      // Warm-up (not counted): bundles loaded, connections open, code compiled.
      await runLevel(2, 4, driveBare);
      await runLevel(2, 4, drivePark);
      const entry: KindResults = { kind, histories: { parkflow: undefined!, baseline: undefined! }, levels: [] };
      let sample = { parkflow: [] as string[][], baseline: [] as string[][] };
      for (const concurrency of profile.concurrencies) {
        const total = profile.journeys(concurrency);
        console.log(`${kind}: ${total} journeys, ${concurrency} in flight`);
        await parkflow.prepare(kind, concurrency);
        const baseline = await profiled(() => runLevel(concurrency, total, driveBare));
        const ours = await profiled(() => runLevel(concurrency, total, drivePark));
        entry.levels.push({ concurrency, parkflow: ours.run, baseline: baseline.run });
        console.log(`  bare ${baseline.run.perSecond}/s, parkflow ${ours.run.perSecond}/s`);
        sample = {
          parkflow: ours.journeys.slice(-HISTORY_SAMPLE).map((j) => j.workflowIds),
          baseline: baseline.journeys.slice(-HISTORY_SAMPLE).map((j) => j.workflowIds),
        };
      }
      entry.histories = { parkflow: await meanCounts(client, sample.parkflow), baseline: await meanCounts(client, sample.baseline) };
      results.kinds.push(entry);
    }
    if (!values['no-scale'])
      results.scale = await measureScale(processes, client, { open: openJourneys, settleMs: profile.settleMs }, API_KEY);
  } finally {
    await bareWorker.stop();
    await connection.close();
    await processes.stop();
  }
  results.seconds = Math.round((Date.now() - began) / 1000);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, `${profileName}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(values.out, `${profileName}.svg`), renderChart(results));
  printResults(results);
  console.log(`\nresults: ${path.join(values.out, `${profileName}.json`)} and .svg (${results.seconds} s)`);
  rmSync(runDir, { recursive: true, force: true });
}

function machine(): BenchResults['machine'] {
  const temporal = execFileSync(requireBinary('cli'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    temporal,
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
