import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatReport } from '../../scripts/chaos/report';
import { runChaos, type ChaosReport } from '../../scripts/chaos/run';

// The short profile of `npm run chaos`: two dozen journeys of every provider through the HTTP API of
// the production build, run as separate processes, while every kind of fault is injected once.
// The full run (300 journeys) is `npm run chaos`; its figures are in the note.

const ROOT = path.resolve(__dirname, '../..');
let report: ChaosReport;
let runDir: string;

beforeAll(async () => {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.js')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  runDir = mkdtempSync(path.join(tmpdir(), 'parkflow-chaos-test-'));
  report = await runChaos({
    profile: 'short',
    journeys: 24,
    concurrency: 4,
    seed: 'npm-test',
    runDir,
    maxMinutes: 6,
    historyBudget: { events: 6000, bytes: 4 * 1024 * 1024 }, // a journey continues as new at 5,000 events
  });
}, 600_000);
afterAll(() => {
  if (report && report.failures.length === 0) rmSync(runDir, { recursive: true, force: true }); // kept for a look when it failed
});

test('nothing lost, nothing charged twice, nothing stuck, no 5xx without Retry-After, no crash', () => {
  expect({ failures: report.failures, table: report.failures.length ? formatReport(report) : '' }).toEqual({ failures: [], table: '' });
  expect(report.reconciliation.journeys).toBeGreaterThanOrEqual(24);
  expect(report.reconciliation.lost).toEqual([]);
  expect(report.reconciliation.chargedTwice).toEqual([]);
  expect(report.reconciliation.stuck).toEqual([]);
  expect(report.client.serverErrors).toBe(0);
});

test('every kind of fault was injected while journeys were in flight, and every kind of client abuse tried', () => {
  const missing = Object.entries(report.faults).filter(([, n]) => n === 0).map(([name]) => name);
  expect(missing).toEqual([]);
  expect(report.faults['worker kill -9']).toBeGreaterThanOrEqual(2);
  const untried = Object.entries(report.abuse).filter(([, n]) => n === 0).map(([kind]) => kind);
  expect(untried).toEqual([]);
});

test('the money the processors kept is the money the operators booked, to the minor unit', () => {
  expect(report.reconciliation.moneyMismatch).toEqual([]);
  expect(report.reconciliation.keptMinor).toEqual(report.reconciliation.bookedMinor);
  expect(Object.values(report.reconciliation.keptMinor).some((minor) => minor > 0)).toBe(true);
});
