import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchResults } from '../../scripts/bench/results';
import { spawnBench } from '../support/bench';

// `npm run bench` as the README shows it, in its quick profile (concurrency 1 and 4, 200 open journeys):
// the production build as separate processes, parkflow through HTTP and the bare workflows on the same
// dev server. What is checked is that it measures what it says; its figures are targets for the full
// run (README, Performance), never asserted here.

let out: string;
let results: BenchResults;
let printed: string;

/** `npm run bench -- <args>`, its process group stopped as a whole if it overruns. */
function runBench(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bench = spawnBench(args);
  let stdout = '';
  let stderr = '';
  bench.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  bench.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-10_000)));
  const overrun = setTimeout(() => process.kill(-bench.pid!, 'SIGTERM'), timeoutMs);
  return new Promise((resolve) =>
    bench.on('close', (status) => {
      clearTimeout(overrun);
      resolve({ status, stdout, stderr });
    }),
  );
}

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'parkflow-bench-test-'));
  const run = await runBench(['--profile', 'quick', '--out', out], 480_000);
  printed = run.stdout;
  if (run.status !== 0) throw new Error(`npm run bench failed (${run.status}): ${run.stderr.slice(-2000)}`);
  results = JSON.parse(readFileSync(path.join(out, 'quick.json'), 'utf8')) as BenchResults;
}, 500_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('every journey kind, at each concurrency, side by side: all journeys completed on both sides', () => {
  expect(results.kinds.map((k) => k.kind)).toEqual(['parkingplus', 'linkc', 'ector']);
  for (const kind of results.kinds) {
    expect(kind.levels.map((l) => l.concurrency)).toEqual([1, 4]);
    for (const { parkflow, baseline, concurrency } of kind.levels) {
      const expected = Math.max(6, 2 * concurrency);
      expect({
        kind: kind.kind,
        concurrency,
        ours: parkflow.journeys,
        bare: baseline.journeys,
        failed: parkflow.failed + baseline.failed,
      }).toEqual({
        kind: kind.kind,
        concurrency,
        ours: expected,
        bare: expected,
        failed: 0,
      });
      expect(parkflow.perSecond).toBeGreaterThan(0);
      expect(baseline.perSecond).toBeGreaterThan(0);
      // Each HTTP step has its bare equivalent, timed the same way.
      for (const step of Object.keys(parkflow.steps)) expect(baseline.steps[step]?.count).toBeGreaterThan(0);
      expect(Object.keys(parkflow.cpuMsPerJourney ?? {})).toEqual(['server', 'worker', 'api', 'simulators', 'bench']);
    }
  }
});

test('the steps each kind takes, and its Temporal work counted from the histories of both sides', () => {
  const steps = Object.fromEntries(results.kinds.map((k) => [k.kind, Object.keys(k.levels[0]!.parkflow.steps).sort()]));
  expect(steps).toEqual({
    parkingplus: ['enter', 'exit', 'finalize', 'get', 'page', 'pay', 'start', 'until paid'],
    linkc: ['exit', 'get', 'page', 'pay', 'start', 'until paid'],
    ector: ['get', 'page', 'pay', 'start', 'until paid'],
  });
  for (const { kind, histories } of results.kinds) {
    expect({ kind, workflows: histories.parkflow.workflows }).toEqual({ kind, workflows: kind === 'parkingplus' ? 1 : 2 });
    expect(histories.parkflow.workflowTasks).toBeGreaterThan(0);
    expect(histories.baseline.workflowTasks).toBeGreaterThan(0);
    expect(histories.baseline.updates).toBe(histories.parkflow.updates - (kind === 'parkingplus' ? 0 : 1)); // + the payment's open
  }
});

test('scale: the open journeys, the memory of the worker and the dev server, a step on one of them, a worker restart', () => {
  const scale = results.scale!;
  expect(scale.openJourneys).toBe(200);
  expect(scale.workerRssMb).toBeGreaterThan(50);
  expect(scale.devServerRssMb).toBeGreaterThan(20);
  expect(Object.keys(scale.stepMs)).toEqual(['get', 'pay', 'getAgain']);
  expect(scale.workerRestart.readyMs).toBeGreaterThan(0);
  expect(scale.workerRestart.firstStepMs).toBeGreaterThan(0);
});

test('the chart and the table: an SVG beside the JSON, and the ratios printed', () => {
  const svg = readFileSync(path.join(out, 'quick.svg'), 'utf8');
  expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svg).not.toMatch(/NaN|Infinity/);
  for (const name of ['Parking+Plus', 'LinkC', 'Ector']) expect(svg).toContain(name);
  expect(printed).toMatch(/in flight\s+bare\/s\s+ours\/s\s+ratio/);
  expect(printed).toContain('200 open journeys');
});
