import { niceTicks, renderChart } from '../scripts/bench/chart';
import { type BenchResults, type HistoryCounts, type KindResults, type LevelRun } from '../scripts/bench/results';

const counts: HistoryCounts = {
  workflows: 2,
  events: 40,
  workflowTasks: 10,
  activities: 6,
  timers: 1,
  childWorkflows: 1,
  updates: 4,
  signals: 1,
};

function run(perSecond: number, p99s: Record<string, number>, journeys = 100): LevelRun {
  const latency = (p99: number) => ({ count: journeys, p50: p99 / 2, p95: p99, p99, max: p99 });
  const steps = Object.fromEntries(Object.entries(p99s).map(([step, p99]) => [step, latency(p99)]));
  return { journeys, failed: 0, seconds: 10, perSecond, steps };
}

function kind(name: KindResults['kind'], levels: KindResults['levels']): KindResults {
  return { kind: name, histories: { parkflow: counts, baseline: counts }, levels };
}

function results(kinds: KindResults[], concurrencies = [1, 8, 32]): BenchResults {
  return {
    profile: 'short',
    startedAt: '2025-01-02T03:04:05.000Z',
    seconds: 10,
    machine: { cpus: 2, cpuModel: 'AMD EPYC 7763', memoryGiB: 8, node: 'v22.11.0', os: 'linux', temporal: '1.3.0' },
    concurrencies,
    kinds,
  };
}

const threeKinds = results([
  kind('parkingplus', [
    { concurrency: 1, parkflow: run(9, { start: 40, pay: 80 }), baseline: run(10, { start: 20, pay: 50 }) },
    { concurrency: 8, parkflow: run(30, { start: 60, pay: 120 }), baseline: run(40, { start: 30, pay: 70 }) },
    { concurrency: 32, parkflow: run(50, { start: 90, pay: 200, exit: 30 }), baseline: run(55, { start: 45, pay: 90 }) },
  ]),
  kind('linkc', [{ concurrency: 1, parkflow: run(5, { start: 10 }), baseline: run(5, { start: 8 }) }]),
  kind('ector', [{ concurrency: 8, parkflow: run(12, { quote: 15 }), baseline: run(16, { quote: 9 }) }]),
]);

/** Every tag well formed and closed in order, one root, text and attribute values holding only escaped markup. */
function wellFormedSvg(svg: string): boolean {
  const stack: string[] = [];
  let roots = 0;
  const escapedText = /^([^<>&]|&(amp|lt|gt|quot|#\d+);)*$/;
  for (const [i, part] of svg.split(/(<[^>]*>)/).entries()) {
    if (i % 2 === 0) {
      if (!escapedText.test(part) || (stack.length === 0 && part.trim() !== '')) return false;
      continue;
    }
    const tag = /^<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="(?:[^"<>&]|&(?:amp|lt|gt|quot|#\d+);)*")*)\s*(\/?)>$/.exec(part);
    if (!tag) return false;
    const [, closing, name, , selfClosing] = tag;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    }
  }
  return stack.length === 0 && roots === 1;
}

/** The marker centres of one series, by the tooltip they carry: `parkflow (HTTP)`, `pay, bare`, … */
function markers(svg: string, series: string): Array<{ x: number; y: number; tip: string }> {
  const found = [...svg.matchAll(/<circle cx="([\d.-]+)" cy="([\d.-]+)"[^>]*><title>([^<]*)<\/title>/g)];
  return found.filter(([, , , tip]) => tip!.startsWith(`${series}, `)).map(([, x, y, tip]) => ({ x: Number(x), y: Number(y), tip: tip! }));
}

describe('the benchmark chart', () => {
  test('is one well-formed standalone SVG document: no scripts, links or outside fonts', () => {
    const svg = renderChart(threeKinds);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(wellFormedSvg(svg)).toBe(true);
    expect(svg).not.toMatch(/<script|href=|url\(|@import|@font-face/);
    expect(wellFormedSvg('<svg><g></svg></g>')).toBe(false);
    expect(wellFormedSvg('<svg><text>a < b</text></svg>')).toBe(false);
  });

  test('names each journey kind, the machine and the run in the title', () => {
    const svg = renderChart(threeKinds);
    const names = ['>Parking+Plus<', '>LinkC<', '>Ector<', 'AMD EPYC 7763', 'Node v22.11.0', 'profile short', '2025-01-02T03:04:05.000Z'];
    for (const name of names) expect(svg).toContain(name);
  });

  test('the legend names each step; a step the bare run lacks has no dashed line', () => {
    const svg = renderChart(threeKinds);
    for (const step of ['start', 'pay', 'exit', 'quote']) expect(svg).toContain(`>${step}</text>`);
    expect(svg).toContain('<title>pay, bare</title>');
    expect(svg).not.toContain('exit, bare');
    expect(markers(svg, 'exit, parkflow')).toHaveLength(1);
  });

  test('prints the ratio of parkflow to bare throughput next to each parkflow point', () => {
    const svg = renderChart(threeKinds);
    expect(svg).toContain('>0.90×</text>');
    expect(svg).toContain('>0.75×</text>');
    expect(svg).toContain('>0.91×</text>');
    expect(svg).toContain('>1.00×</text>');
    expect(markers(svg, 'parkflow (HTTP)')[0]!.tip).toBe('parkflow (HTTP), 1 concurrent: 9.00 journeys/s');
  });

  test('skips a level without completed journeys or with NaN/Infinity figures, never writing them', () => {
    const broken = results([
      kind('parkingplus', [
        { concurrency: 1, parkflow: run(9, { start: 40 }), baseline: run(10, { start: 20 }) },
        { concurrency: 8, parkflow: run(NaN, { start: Infinity }), baseline: run(Infinity, { start: NaN }) },
        { concurrency: 32, parkflow: run(0, { start: 50 }, 0), baseline: run(0, { start: 25 }, 0) },
      ]),
    ]);
    broken.machine.cpus = NaN;
    const svg = renderChart(broken);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(wellFormedSvg(svg)).toBe(true);
    expect(markers(svg, 'parkflow (HTTP)')).toHaveLength(1);
    expect(markers(svg, 'start, parkflow')).toHaveLength(1);
    expect(svg.match(/×<\/text>/g)).toHaveLength(1);
  });

  test('escapes markup characters in names', () => {
    const svg = renderChart(results([kind('linkc', [{ concurrency: 1, parkflow: run(5, { 'a<b & "c"': 10 }), baseline: run(5, {}) }])]));
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).not.toContain('a<b');
    expect(wellFormedSvg(svg)).toBe(true);
  });

  test('a higher figure draws its point higher, and a later concurrency further right', () => {
    const chart = (perSecond: number) =>
      renderChart(
        results([
          kind('parkingplus', [
            { concurrency: 1, parkflow: run(perSecond, { start: 0 }), baseline: run(100, { start: 5 }) },
            { concurrency: 8, parkflow: run(50, { start: 5 }), baseline: run(100, { start: 5 }) },
          ]),
        ]),
      );
    const [low] = markers(chart(20), 'parkflow (HTTP)');
    const [high, later] = markers(chart(80), 'parkflow (HTTP)');
    expect(high!.y).toBeLessThan(low!.y);
    expect(later!.x).toBeGreaterThan(high!.x);
    const [zero, five] = markers(chart(20), 'start, parkflow');
    expect(zero!.y).toBeGreaterThan(five!.y);
  });

  test('a single concurrency level and all-zero latencies still draw a point, a tick and a 0-based axis', () => {
    const level = { concurrency: 4, parkflow: run(3, { quote: 0 }), baseline: run(3, { quote: 0 }) };
    const svg = renderChart(results([kind('ector', [level])], [4]));
    expect(wellFormedSvg(svg)).toBe(true);
    expect(svg).toContain('text-anchor="middle">4</text>');
    expect(markers(svg, 'quote, parkflow')).toHaveLength(1);
    expect(markers(svg, 'quote, parkflow')[0]!.tip).toBe('quote, parkflow, 4 concurrent: 0 ms');
    expect(svg).not.toMatch(/<path d="M[^"L]*"/);
  });

  test('is deterministic and leaves its input alone', () => {
    const before = structuredClone(threeKinds);
    expect(renderChart(threeKinds)).toBe(renderChart(threeKinds));
    expect(threeKinds).toEqual(before);
  });
});

describe('the axis ticks', () => {
  test('step by 1, 2 or 5 × 10ⁿ from 0 to just past the largest value', () => {
    expect(niceTicks(7.3)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(niceTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  test('an empty, zero or non-finite range is 0 to 1', () => {
    for (const max of [0, -3, NaN, Infinity]) expect(niceTicks(max)).toEqual([0, 1]);
  });
});
