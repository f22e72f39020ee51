// What dominates a process's CPU: the V8 CPU profiles BENCH_CPU_PROFILE=<dir> leaves (one per process),
// summed by self time per package (or our own file) and per function.
//   npx tsx scripts/bench/profile-summary.ts <dir or .cpuprofile files>
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time the thread was busy, and idle (waiting for I/O): shares below are of the busy time. */
  totalMs: number;
  idleMs: number;
  /** Share (0–1) of self time, most first: a package (`@temporalio/worker`), a file of ours, or `(native)`. */
  byPackage: [string, number][];
  byFunction: [string, number][];
}

/** `node_modules/@scope/name/...` → `@scope/name`; our own code → its file; V8's own frames → `(native)`. */
function packageOf(url: string): string {
  if (!url) return '(native)';
  const inModules = url.split('node_modules/').pop()!;
  if (inModules === url) return path.basename(url);
  const parts = inModules.split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

export function summarise(profile: CpuProfile, top = 12): ProfileSummary {
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let total = 0;
  let idle = 0;
  for (const [id, time] of selfTime) {
    if (idleIds.has(id)) idle += time;
    else total += time;
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = selfTime.get(node.id);
    if (!time || idleIds.has(node.id)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = packageOf(url);
    byPackage.set(where, (byPackage.get(where) ?? 0) + time);
    const name = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  }
  const shares = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([k, v]): [string, number] => [k, total ? v / total : 0]);
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byPackage: shares(byPackage),
    byFunction: shares(byFunction),
  };
}

function main(args: string[]): void {
  const files = args.flatMap((arg) =>
    statSync(arg).isDirectory()
      ? readdirSync(arg)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => path.join(arg, f))
      : [arg],
  );
  const percent = (share: number) => `${(100 * share).toFixed(1).padStart(5)} %`;
  for (const file of files) {
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    console.log(`${path.basename(file)}: ${summary.totalMs} ms busy (idle ${summary.idleMs} ms); shares of the busy time`);
    for (const [name, share] of summary.byPackage) console.log(`  ${percent(share)}  ${name}`);
    console.log('  functions (self time):');
    for (const [name, share] of summary.byFunction) console.log(`    ${percent(share)}  ${name}`);
  }
}

if (require.main === module) main(process.argv.slice(2));
