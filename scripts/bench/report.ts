// The benchmark's results as the terminal shows them: per kind and concurrency, throughput side by side
// and each step's p99 against the bare equivalent's, then the histories' counts and the scale figures.
import { type BenchResults } from './results';

const ratio = (ours: number, bare: number) => (bare > 0 && Number.isFinite(ours / bare) ? (ours / bare).toFixed(2) : '–');

export function printResults(results: BenchResults): void {
  const m = results.machine;
  console.log(`\n${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.temporal}`);
  for (const kind of results.kinds) {
    console.log(`\n${kind.kind}`);
    console.log(
      `  ${'in flight'.padEnd(10)}${'bare/s'.padStart(9)}${'ours/s'.padStart(9)}${'ratio'.padStart(7)}   p99 ms ours / bare (ratio)`,
    );
    for (const level of kind.levels) {
      const steps = Object.entries(level.parkflow.steps)
        .map(([step, ours]) => {
          const bare = level.baseline.steps[step];
          return `${step} ${Math.round(ours.p99)}/${bare ? Math.round(bare.p99) : '–'} (${bare ? ratio(ours.p99, bare.p99) : '–'})`;
        })
        .join(', ');
      const { parkflow: ours, baseline: bare } = level;
      console.log(
        `  ${String(level.concurrency).padEnd(10)}${bare.perSecond.toFixed(2).padStart(9)}${ours.perSecond.toFixed(2).padStart(9)}` +
          `${ratio(ours.perSecond, bare.perSecond).padStart(7)}   ${steps}`,
      );
    }
    const cpu = (run: { cpuMsPerJourney?: Record<string, number> }) =>
      Object.entries(run.cpuMsPerJourney ?? {})
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ');
    const top = kind.levels.at(-1);
    if (top) console.log(`  CPU ms per journey at ${top.concurrency}: parkflow ${cpu(top.parkflow)}; bare ${cpu(top.baseline)}`);
    const { parkflow: ours, baseline: bare } = kind.histories;
    const row = (name: string, c: typeof ours) =>
      `  ${name.padEnd(9)} workflows ${c.workflows}, events ${c.events}, workflow tasks ${c.workflowTasks}, activities ${c.activities}, ` +
      `timers ${c.timers}, children ${c.childWorkflows}, updates ${c.updates}, signals ${c.signals}`;
    console.log(`  per journey (histories):\n${row('parkflow', ours)}\n${row('bare', bare)}`);
  }
  const scale = results.scale;
  if (scale) {
    console.log(
      `\n${scale.openJourneys} open journeys (started in ${scale.startSeconds} s), waiting: worker RSS ${scale.workerRssMb} MB, ` +
        `dev server RSS ${scale.devServerRssMb} MB (5 s after the last start: ${scale.justStarted.workerRssMb} / ${scale.justStarted.devServerRssMb} MB)`,
    );
    console.log(
      `  a step on one of them: ${Object.entries(scale.stepMs)
        .map(([s, ms]) => `${s} ${ms} ms`)
        .join(', ')}`,
    );
    const r = scale.workerRestart;
    console.log(
      `  worker restarted: polling after ${r.readyMs} ms, a step on one of them answered ${r.firstStepMs} ms later, ` +
        `caught up with ${r.behind} asked to look meanwhile after ${r.caughtUpMs} ms; RSS ${r.rssMb} MB`,
    );
  }
}
