// Where the CPU went during a level: each process's user + system time (from /proc on Linux), so a
// gap to the baseline can be traced to the process that spends it (API, worker, simulators, server).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export type CpuSnapshot = Record<string, number>;

/** CPU ms used so far by each named process (NaN for one that is gone). */
export function cpuSnapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const snapshot: CpuSnapshot = {};
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = pid ? processCpuMs(pid) : NaN;
  return snapshot;
}

/** CPU ms spent per journey by each process between two snapshots. */
export function cpuPerJourney(before: CpuSnapshot, after: CpuSnapshot, journeys: number): Record<string, number> {
  return Object.fromEntries(
    Object.keys(after).map((name) => [name, Math.round(((after[name]! - before[name]!) / Math.max(1, journeys)) * 10) / 10]),
  );
}

function processCpuMs(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) : utime is the 14th field, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
