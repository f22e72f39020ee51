// The README's performance chart: per journey kind, throughput and p99 step latency against concurrency, parkflow (HTTP)
// against bare Temporal. One standalone SVG 1.1 document (no fonts, scripts or links), so GitHub shows it as an image.
import { type BenchResults, type JourneyKind, type KindResults, type LevelRun } from './results';

const WIDTH = 1100;
const HEADER = 64;
const ROW = 320;
const PLOT = { left: 62, right: 16, top: 56, bottom: 50 };
const KIND_NAMES: Record<JourneyKind, string> = { parkingplus: 'Parking+Plus', linkc: 'LinkC', ector: 'Ector' };
const PARKFLOW = { label: 'parkflow (HTTP)', colour: '#1f77b4' };
const BARE = { label: 'bare Temporal', colour: '#6b6b6b' };
const STEP_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#b07aa1', '#ff9da7', '#9c755f', '#edc948', '#bab0ac'];

interface Box {
  x: number;
  y: number;
  width: number;
  legendWidth: number;
}
interface LegendEntry {
  label: string;
  colour: string;
  dashed: boolean;
}
interface Series extends LegendEntry {
  values: Array<number | undefined>;
  notes?: Array<string | undefined>;
}
interface Panel {
  title: string;
  yLabel: string;
  unit: (value: number) => string;
  series: Series[];
  legend: LegendEntry[];
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
const coord = (n: number) => String(Math.round(n * 10) / 10);
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '?');

/** Axis ticks from 0 past `max` in steps of 1, 2 or 5 × 10ⁿ (about five of them). */
export function niceTicks(max: number, target = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const count = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

const text = (x: number, y: number, content: string, attrs = '') =>
  `<text x="${coord(x)}" y="${coord(y)}"${attrs}>${escapeXml(content)}</text>`;
const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
  `<line x1="${coord(x1)}" y1="${coord(y1)}" x2="${coord(x2)}" y2="${coord(y2)}" ${attrs}/>`;
const stroke = (entry: LegendEntry, width = 2) =>
  `stroke="${entry.colour}" stroke-width="${width}"${entry.dashed ? ' stroke-dasharray="6 4"' : ''}`;
const marker = (x: number, y: number, entry: LegendEntry) =>
  `<circle cx="${coord(x)}" cy="${coord(y)}" r="3.5" fill="${entry.dashed ? '#fff' : entry.colour}" ` +
  `stroke="${entry.colour}" stroke-width="1.5"`;

/** A run's completed journeys per second; none when nothing completed or the figure is not a number. */
const throughput = (run: LevelRun | undefined) =>
  run && run.journeys > 0 && Number.isFinite(run.perSecond) && run.perSecond >= 0 ? run.perSecond : undefined;
const p99 = (run: LevelRun | undefined, step: string) => {
  const latency = run?.steps[step];
  return latency && latency.count > 0 && Number.isFinite(latency.p99) && latency.p99 >= 0 ? latency.p99 : undefined;
};

function renderPanel(box: Box, concurrencies: number[], panel: Panel): string {
  const left = box.x + PLOT.left;
  const right = box.x + box.width - box.legendWidth - PLOT.right;
  const top = box.y + PLOT.top;
  const bottom = box.y + ROW - PLOT.bottom;
  const values = panel.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined);
  const ticks = niceTicks(Math.max(0, ...values) * 1.08);
  const yMax = ticks[ticks.length - 1] ?? 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(ticks[1] ?? 1)));
  const band = (right - left) / Math.max(1, concurrencies.length);
  const x = (i: number) => left + band * (i + 0.5);
  const y = (v: number) => bottom - (v / yMax) * (bottom - top);

  const out = [text(left, box.y + 44, panel.title, ' font-size="13" font-weight="bold"')];
  for (const tick of ticks) {
    out.push(line(left, y(tick), right, y(tick), 'stroke="#e3e3e3" stroke-width="1"'));
    out.push(text(left - 6, y(tick) + 4, tick.toFixed(decimals), ' text-anchor="end"'));
  }
  concurrencies.forEach((c, i) => {
    out.push(line(x(i), bottom, x(i), bottom + 4, 'stroke="#333" stroke-width="1"'));
    out.push(text(x(i), bottom + 17, String(c), ' text-anchor="middle"'));
  });
  out.push(
    line(left, top, left, bottom, 'stroke="#333" stroke-width="1"'),
    line(left, bottom, right, bottom, 'stroke="#333" stroke-width="1"'),
  );
  out.push(text((left + right) / 2, bottom + 38, 'concurrent journeys', ' text-anchor="middle"'));
  const yLabelX = box.x + 16;
  const yLabelY = (top + bottom) / 2;
  out.push(text(yLabelX, yLabelY, panel.yLabel, ` text-anchor="middle" transform="rotate(-90 ${coord(yLabelX)} ${coord(yLabelY)})"`));

  for (const series of panel.series) {
    const points = series.values.map((v, i) => (v === undefined ? undefined : ([x(i), y(v)] as const)));
    // A skipped level breaks the line rather than bridging it.
    let d = '';
    points.forEach((p, i) => {
      if (p) d += `${points[i - 1] ? 'L' : 'M'}${coord(p[0])} ${coord(p[1])} `;
    });
    if (d.includes('L')) out.push(`<path d="${d.trim()}" fill="none" ${stroke(series)}><title>${escapeXml(series.label)}</title></path>`);
    points.forEach((p, i) => {
      const value = series.values[i];
      if (!p || value === undefined) return;
      const tip = `${series.label}, ${concurrencies[i]} concurrent: ${panel.unit(value)}`;
      out.push(`${marker(p[0], p[1], series)}><title>${escapeXml(tip)}</title></circle>`);
      const note = series.notes?.[i];
      if (note) out.push(text(p[0] + 6, p[1] - 7, note, ` font-size="10" fill="${series.colour}"`));
    });
  }

  panel.legend.forEach((entry, i) => {
    const lx = right + 18;
    const ly = top + 8 + i * 18;
    out.push(line(lx, ly, lx + 24, ly, `fill="none" ${stroke(entry)}`), `${marker(lx + 12, ly, entry)}/>`);
    out.push(text(lx + 30, ly + 4, entry.label));
  });
  return out.join('\n');
}

function renderKind(kind: KindResults, concurrencies: number[], rowY: number): string {
  const levels = concurrencies.map((c) => kind.levels.find((level) => level.concurrency === c));
  const parkflow = levels.map((level) => throughput(level?.parkflow));
  const bare = levels.map((level) => throughput(level?.baseline));
  const ratios = parkflow.map((p, i) => {
    const b = bare[i];
    return p !== undefined && b !== undefined && b > 0 ? `${(p / b).toFixed(2)}×` : undefined;
  });
  const perSecond = (v: number) => `${fixed(v, v >= 100 ? 1 : 2)} journeys/s`;
  const throughputPanel: Panel = {
    title: 'Throughput (completed journeys/s)',
    yLabel: 'journeys / s',
    unit: perSecond,
    series: [
      { ...BARE, dashed: true, values: bare },
      { ...PARKFLOW, dashed: false, values: parkflow, notes: ratios },
    ],
    legend: [
      { ...PARKFLOW, dashed: false },
      { ...BARE, dashed: true },
    ],
  };

  const steps = [...new Set(kind.levels.flatMap((level) => Object.keys(level.parkflow.steps)))];
  const colour = (i: number) => STEP_COLOURS[i % STEP_COLOURS.length] ?? '#000';
  const latencyPanel: Panel = {
    title: 'p99 latency per step (ms)',
    yLabel: 'p99 ms',
    unit: (v) => `${fixed(v, 0)} ms`,
    series: steps.flatMap((step, i) => {
      const series: Series[] = [
        { label: `${step}, parkflow`, colour: colour(i), dashed: false, values: levels.map((l) => p99(l?.parkflow, step)) },
      ];
      if (kind.levels.some((level) => level.baseline.steps[step])) {
        series.unshift({ label: `${step}, bare`, colour: colour(i), dashed: true, values: levels.map((l) => p99(l?.baseline, step)) });
      }
      return series;
    }),
    legend: [
      ...steps.map((step, i) => ({ label: step, colour: colour(i), dashed: false })),
      { label: `solid: ${PARKFLOW.label}`, colour: BARE.colour, dashed: false },
      { label: `dashed: ${BARE.label}`, colour: BARE.colour, dashed: true },
    ],
  };

  return [
    line(12, rowY + 4, WIDTH - 12, rowY + 4, 'stroke="#bbb" stroke-width="1"'),
    text(16, rowY + 24, KIND_NAMES[kind.kind] ?? kind.kind, ' font-size="16" font-weight="bold"'),
    renderPanel({ x: 0, y: rowY, width: 480, legendWidth: 130 }, concurrencies, throughputPanel),
    renderPanel({ x: 480, y: rowY, width: 620, legendWidth: 170 }, concurrencies, latencyPanel),
  ].join('\n');
}

/** The whole chart: a title naming the machine and run, then one row per journey kind. Pure: same results, same text. */
export function renderChart(results: BenchResults): string {
  const concurrencies = [...new Set([...results.concurrencies, ...results.kinds.flatMap((k) => k.levels.map((l) => l.concurrency))])]
    .filter((c) => Number.isFinite(c))
    .sort((a, b) => a - b);
  const { machine } = results;
  const title = 'parkflow: throughput and latency against concurrency';
  const cpus = `${fixed(machine.cpus, 0)} CPUs (${machine.cpuModel})`;
  const subtitle = `${cpus}, Node ${machine.node} · profile ${results.profile} · ${results.startedAt}`;
  const height = HEADER + results.kinds.length * ROW + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#222">`,
    `<title>${escapeXml(`${title}: ${subtitle}`)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(16, 28, title, ' font-size="18" font-weight="bold"'),
    text(16, 48, subtitle, ' font-size="12" fill="#555"'),
    ...results.kinds.map((kind, i) => renderKind(kind, concurrencies, HEADER + i * ROW)),
    '</svg>',
    '',
  ].join('\n');
}
