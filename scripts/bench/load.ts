// A closed loop: `concurrency` drivers, each taking the next journey as soon as its last one is done,
// until `total` have been driven. Throughput is journeys completed per second of the whole level.
import { performance } from 'node:perf_hooks';
import { type DrivenJourney } from './parkflow-journeys';
import { type LevelRun } from './results';
import { StepTimes } from './timings';

export type Drive = (slot: number, times: StepTimes) => Promise<DrivenJourney>;

export async function runLevel(concurrency: number, total: number, drive: Drive): Promise<{ run: LevelRun; journeys: DrivenJourney[] }> {
  const times = new StepTimes();
  const journeys: DrivenJourney[] = [];
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, slot) => {
      while (next < total) {
        next += 1;
        const own = new StepTimes();
        try {
          journeys.push(await drive(slot, own));
          times.add(own); // only completed journeys' steps count
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (errors.length > 0) console.error(`  ${errors.length} journeys failed; first: ${errors[0]}`);
  return {
    run: {
      journeys: journeys.length,
      failed: errors.length,
      seconds: Math.round(seconds * 100) / 100,
      perSecond: Math.round((journeys.length / seconds) * 100) / 100,
      steps: times.percentiles(),
    },
    journeys,
  };
}
