import { readdirSync, readFileSync } from 'node:fs';
import { spawnBench } from '../support/bench';

// `npm run bench` stopped from outside (Ctrl-C, a caller's timeout) takes its dev server, simulators,
// worker and API with it: left behind, they would load the machine and poll for as long as it runs.

/** The processes of a process group (field 5 of /proc/<pid>/stat). */
function processGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after the command's name
      if (Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('SIGTERM to the process group of npm run bench stops every process it started', async () => {
  const bench = spawnBench(['--profile', 'quick', '--kinds', 'linkc', '--no-scale', '--out', 'unused']);
  const exited = new Promise<number | null>((resolve) => bench.on('exit', (code) => resolve(code)));
  let printed = '';
  await new Promise<void>((resolve, reject) => {
    bench.stdout.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      // Printed once the processes are up and the first level begins.
      if (/journeys, \d+ in flight/.test(printed)) resolve();
    });
    void exited.then(() => reject(new Error(`bench ended before its first level: ${printed}`)));
  });
  const group = bench.pid!;
  // npm, tsx, the benchmark, and the processes it started: dev server, simulators, worker, API.
  expect(processGroup(group).length).toBeGreaterThanOrEqual(7);

  process.kill(-group, 'SIGTERM');
  expect(await exited).not.toBe(0);
  // npm is gone at once; the benchmark then stops its processes (the dev server within 5 s, or killed) and ends.
  const deadline = Date.now() + 20_000;
  while (processGroup(group).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  expect(processGroup(group)).toEqual([]);
}, 180_000);
