// Reading Prometheus text format (what GET /metrics answers) and the PromQL of a dashboard, for tests.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels (in any order); NaN when there is none. */
export function sample(text: string, name: string, labels: Record<string, string>): number {
  const keys = Object.keys(labels);
  const found = parseSamples(text).find(
    (s) => s.name === name && Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === labels[k]),
  );
  return found ? found.value : NaN;
}

/** The samples of `name` whose labels include these. */
export function samplesWith(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return parseSamples(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * The series names and label names a PromQL expression reads. Enough for a dashboard's expressions:
 * string literals, label matchers, by/without lists and ranges are taken out first; what is left that
 * is not called like a function is a series name.
 */
export function promqlReferences(expr: string): { metrics: string[]; labels: string[] } {
  const labels = new Set<string>();
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_all, inner: string) => {
    for (const m of inner.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g, (_all, inner: string) => {
    for (const label of inner.split(',').map((l) => l.trim())) if (label) labels.add(label);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'group_left', 'group_right', 'inf', 'nan']);
  const metrics = [...rest.matchAll(/[a-zA-Z_:][\w:]*/g)]
    .filter((m) => !/^\s*\(/.test(rest.slice(m.index + m[0].length)) && !keywords.has(m[0].toLowerCase()))
    .map((m) => m[0]);
  return { metrics: [...new Set(metrics)], labels: [...labels] };
}
