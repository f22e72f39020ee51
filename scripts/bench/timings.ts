// Step latencies as a journey's driver records them, and their percentiles.
import { performance } from 'node:perf_hooks';
import { type Percentiles } from './results';

export class StepTimes {
  readonly byStep: Record<string, number[]> = {};

  async time<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await fn();
    (this.byStep[step] ??= []).push(performance.now() - start);
    return result;
  }

  add(other: StepTimes): void {
    for (const [step, values] of Object.entries(other.byStep)) (this.byStep[step] ??= []).push(...values);
  }

  percentiles(): Record<string, Percentiles> {
    return Object.fromEntries(Object.entries(this.byStep).map(([step, values]) => [step, percentiles(values)]));
  }
}

/** Nearest-rank percentiles, in whole-ish ms. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { count: sorted.length, p50: round(rank(50)), p95: round(rank(95)), p99: round(rank(99)), max: round(sorted.at(-1) ?? NaN) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until `done` holds: the same backoff for parkflow (GET) and the baseline (a query), 50 ms growing to 500 ms. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(500, Math.round(wait * 1.5))) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 300)}`);
    await sleep(wait);
  }
}
