// npm run fuzz: schemathesis against /openapi.json of the whole stack on this machine (Temporal dev
// server, simulators, worker and API on free ports, as the e2e tests start it). Examples, coverage,
// fuzzing and stateful phases (chains through the spec's links and Location headers), deterministic
// generation, at least FUZZ_REQUESTS (10,000) requests of which FUZZ_STATEFUL_REQUESTS (a quarter) in
// stateful chains, only ever to the API on 127.0.0.1. Prints the figures and every failed check;
// exits 1 on any failure, 5xx, schemathesis error or short budget.
//
//   npm run fuzz                                   # the full run
//   npm run fuzz -- --requests 20000               # or FUZZ_REQUESTS: a bigger budget
//   npm run fuzz -- --stateful-requests 5000       # or FUZZ_STATEFUL_REQUESTS: more of it stateful
//   npm run fuzz -- --max-examples 200 --seed 7    # or FUZZ_MAX_EXAMPLES (fuzzing's) / FUZZ_SEED (random, reproducible)
//   FUZZ_CHECKS=all npm run fuzz                   # every schemathesis check, not only the gate's
//   FUZZ_PHASES=fuzzing,stateful npm run fuzz      # some phases only (FUZZ_QUIET=1: no live output)
//   npm run fuzz -- --report-dir .data/fuzz        # or FUZZ_REPORT_DIR: keep schemathesis' reports
//
// test/e2e/schemathesis.test.ts runs the same at a small count on every `npm test`.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SANDBOX_DRIVER, SANDBOX_PARKINGS } from '../src/sandbox/parkingplus/model';
import { API_KEY, startStack } from '../test/support/stack';
import { locateSchemathesis, SCHEMATHESIS_VERSION } from './setup-schemathesis';

/** The checks every run gates on (schemathesis names). */
export const GATE_CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
export const ALL_PHASES = ['examples', 'coverage', 'fuzzing', 'stateful'];
/** Calls per stateful scenario (schemathesis' default is 6: too few to reach pay after start). */
const STATEFUL_MAX_STEPS = 10;
/** The stack as fuzzed: no rate limit in the way of a few thousand requests a minute. */
export const FUZZ_STACK_ENV: Record<string, string> = {
  LOG_LEVEL: 'silent',
  API_RATE_LIMIT_PER_MINUTE: '1000000',
  // The per-tenant quotas and the public routes' limits: the fuzzer is one tenant sending thousands.
  TENANT_STARTS_PER_MINUTE: '1000000',
  TENANT_PAYS_PER_MINUTE: '1000000',
  PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
  // GET /v1/journeys/{id}?waitFor= would hold each generated wait for up to its timeout (30 s): a tenth of a second here.
  JOURNEY_WAIT_MAX_MS: '100',
};

export interface FuzzOptions {
  /** The API's base URL (on 127.0.0.1: nothing else is ever a target). */
  apiUrl: string;
  apiKey: string;
  /** Test cases per operation and phase (schemathesis --max-examples). */
  maxExamples: number;
  /** Scenarios of the stateful phase, when not maxExamples. */
  statefulMaxExamples?: number;
  /** A seed for a random (reproducible) run; without one, generation is deterministic (Hypothesis' derandomize). */
  seed?: number;
  phases: string[];
  checks: string[];
  /** Kills schemathesis after this long (default 15 minutes). */
  timeoutMs?: number;
  /** Streams schemathesis' own output while it runs. */
  echo?: boolean;
  /** Keeps schemathesis' config and NDJSON/JSON reports here (else a temporary directory, removed). */
  reportDir?: string;
}

export interface Finding {
  check: string;
  code: string;
  title: string;
  operation: string;
  message: string;
  /** The request as sent (method, path, query, content type, body), secrets filtered by schemathesis. */
  request: string;
  status?: number;
  response?: string;
  /** How many test cases failed this way (same check, operation, message and status). */
  count: number;
}

export interface OperationFigures {
  requests: number;
  /** Status code → responses. */
  statuses: Record<string, number>;
}

export interface FuzzResult {
  command: string;
  exitCode: number | null;
  durationMs: number;
  options: FuzzOptions;
  /** Requests schemathesis sent, from its NDJSON report. */
  requests: number;
  perPhase: Record<string, number>;
  perOperation: Record<string, OperationFigures>;
  /** The operations /openapi.json declares ("POST /v1/journeys"); other labels are the coverage phase's undeclared-method probes. */
  declared: string[];
  /** Responses with a 5xx status, whatever the checks. */
  serverErrors: number;
  /** Failed checks, deduplicated. */
  findings: Finding[];
  /** Schemathesis errors (network failures, schema problems, crashes). */
  errors: string[];
  /** Request URLs that were not on the API's host (must stay empty). */
  offHost: string[];
  /** e.g. "API Links: 6 covered / 41 selected / 41 total (34 inferred)". */
  statefulLinks?: string;
  /** The seeds of further stateful-only runs added to this one (see combine). */
  statefulSeeds?: number[];
  /** Schemathesis' own output. */
  output: string;
  /** Its FAILURES section (with reproducing curl commands), empty when none. */
  failureReport: string;
}

/**
 * Sandbox data the generators mix in, so that stateful chains get past POST /v1/accounts (the
 * Parking+Plus simulator signs up any address at example.com with its password) and start journeys
 * at its garages. Positive cases draw from these 70% of the time; negative cases never.
 */
function configToml(options: FuzzOptions): string {
  // Many drivers: each Parking+Plus journey keeps its driver's session open (no gate opens it here),
  // and a driver with a session in progress cannot start another (422).
  const drivers = [SANDBOX_DRIVER.email, ...Array.from({ length: 24 }, (_, i) => `fuzz-driver-${i + 1}@example.com`)];
  const list = (values: (string | number)[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  return [
    '# Written by scripts/fuzz.ts for one run.',
    `hooks = ${JSON.stringify(path.join(__dirname, 'schemathesis-hooks.py'))}`,
    '[cache]',
    'enabled = false',
    '',
    '[dictionaries.drivers]',
    `values = ${list(drivers)}`,
    '[dictionaries.passwords]',
    `values = ${list([SANDBOX_DRIVER.password])}`,
    '[dictionaries.facebook]',
    `values = ${list([SANDBOX_DRIVER.facebookAccessToken])}`,
    '[dictionaries.parkings]',
    `values = ${list(SANDBOX_PARKINGS.map((p) => p.id))}`,
    '',
    '[parameters]',
    '"body.username" = { dictionary = "drivers", probability = 0.7 }',
    '"body.password" = { dictionary = "passwords", probability = 0.7 }',
    '"body.facebookAccessToken" = { dictionary = "facebook", probability = 0.5 }',
    '"body.securedParkingId" = { dictionary = "parkings", probability = 0.7 }',
    '',
    '[phases.stateful]',
    `max-steps = ${STATEFUL_MAX_STEPS}`,
    ...(options.statefulMaxExamples ? ['[phases.stateful.generation]', `max-examples = ${options.statefulMaxExamples}`] : []),
    '',
  ].join('\n');
}

/** Runs schemathesis once against a running API and reads its reports. */
export async function runSchemathesis(options: FuzzOptions): Promise<FuzzResult> {
  const st = locateSchemathesis();
  if (!st)
    throw new Error(
      `schemathesis ${SCHEMATHESIS_VERSION} not found: run 'node scripts/setup-schemathesis.js' (needs python3 and PyPI) or set SCHEMATHESIS_PATH.`,
    );
  const api = new URL(options.apiUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(api.hostname))
    throw new Error(`refusing to fuzz ${options.apiUrl}: only loopback addresses`);

  const work = options.reportDir ? path.resolve(options.reportDir) : mkdtempSync(path.join(tmpdir(), 'parkflow-fuzz-'));
  mkdirSync(work, { recursive: true });
  const config = path.join(work, 'schemathesis.toml');
  const ndjson = path.join(work, 'events.ndjson');
  const report = path.join(work, 'report.json');
  writeFileSync(config, configToml(options));
  const spec = (await (await fetch(`${options.apiUrl.replace(/\/$/, '')}/openapi.json`)).json()) as {
    paths?: Record<string, Record<string, unknown>>;
  };
  const declared = Object.entries(spec.paths ?? {}).flatMap(([route, methods]) =>
    Object.keys(methods).map((m) => `${m.toUpperCase()} ${route}`),
  );
  // prettier-ignore
  const args = [
    '--config-file', config,
    'run', `${options.apiUrl.replace(/\/$/, '')}/openapi.json`,
    '--header', `X-API-Key: ${options.apiKey}`,
    '--phases', options.phases.join(','),
    '--checks', options.checks.join(','),
    '--max-examples', String(options.maxExamples),
    ...(options.seed === undefined ? ['--generation-deterministic'] : ['--seed', String(options.seed)]),
    '--workers', '1',
    '--max-redirects', '0',
    '--request-timeout', '45',
    '--no-color',
    '--report', 'ndjson,json',
    '--report-dir', work,
    '--report-ndjson-path', ndjson,
    '--report-json-path', report,
  ];

  // Only the API is a target: no proxy from the environment, no redirects followed, no hooks.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_PROXY: '*', no_proxy: '*', PYTHONHASHSEED: '0', COLUMNS: '120' };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) delete env[name];
  delete env.SCHEMATHESIS_HOOKS; // the config names ours

  const started = Date.now();
  let output = '';
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(st, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (options.echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15 * 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const durationMs = Date.now() - started;

  try {
    const result: FuzzResult = {
      command: ['st', ...args].map((a) => (a.startsWith('X-API-Key:') ? "'X-API-Key: …'" : a)).join(' '),
      exitCode,
      durationMs,
      options,
      requests: 0,
      perPhase: {},
      perOperation: {},
      declared,
      serverErrors: 0,
      findings: [],
      errors: [],
      offHost: [],
      statefulLinks: /API Links:\s*(.+)/.exec(output)?.[1]?.trim(),
      output,
      failureReport: failureSection(output),
    };
    readEvents(safeRead(ndjson), api, result);
    readJsonReport(safeRead(report), result);
    if (exitCode === null)
      result.errors.push(`schemathesis did not finish within ${Math.round((options.timeoutMs ?? 15 * 60_000) / 1000)} s`);
    if (result.requests === 0 && result.errors.length === 0)
      result.errors.push(`schemathesis sent no request (exit ${exitCode}):\n${output.slice(-2000)}`);
    return result;
  } finally {
    if (!options.reportDir) rmSync(work, { recursive: true, force: true });
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function failureSection(output: string): string {
  const start = output.indexOf('=== FAILURES ===');
  if (start < 0) return '';
  const from = output.lastIndexOf('\n', start) + 1;
  const end = output.search(/\n=+ (WARNINGS|SUMMARY) =+/);
  return output.slice(from, end > from ? end : undefined).trim();
}

/* eslint-disable @typescript-eslint/no-explicit-any -- schemathesis' NDJSON events, read defensively */
function readEvents(text: string, api: URL, result: FuzzResult): void {
  const findings = new Map<string, Finding>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let event: Record<string, any>;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    const [kind, body] = Object.entries(event)[0] ?? [];
    if (kind === undefined) continue;
    if (/Error$/.test(kind)) {
      result.errors.push(`${kind}: ${describeError(body)}`);
      continue;
    }
    if (kind !== 'ScenarioFinished') continue;
    const phase: string = body.phase;
    const recorder = body.recorder ?? {};
    const cases: Record<string, any> = recorder.cases ?? {};
    for (const [id, interaction] of Object.entries<any>(recorder.interactions ?? {})) {
      const value = cases[id]?.value ?? {};
      const label = `${String(value.method ?? interaction.request?.method ?? '?').toUpperCase()} ${value.path ?? '?'}`;
      const status: number | undefined = interaction.response?.status_code;
      result.requests += 1;
      result.perPhase[phase] = (result.perPhase[phase] ?? 0) + 1;
      const op = (result.perOperation[label] ??= { requests: 0, statuses: {} });
      op.requests += 1;
      const key = status === undefined ? 'no answer' : String(status);
      op.statuses[key] = (op.statuses[key] ?? 0) + 1;
      if (status !== undefined && status >= 500) result.serverErrors += 1;
      const uri: string = interaction.request?.uri ?? '';
      try {
        if (new URL(uri).host !== api.host) result.offHost.push(uri);
      } catch {
        result.offHost.push(uri);
      }
    }
    for (const [id, checks] of Object.entries<any[]>(recorder.checks ?? {})) {
      for (const check of checks) {
        if (check.status === 'success' || check.status === 'skip') continue;
        const failure = check.failure_info?.failure ?? {};
        const value = cases[id]?.value ?? {};
        const interaction = recorder.interactions?.[id];
        const status: number | undefined = interaction?.response?.status_code;
        const message = String(failure.message ?? check.status);
        const operation = `${String(value.method ?? '?').toUpperCase()} ${value.path ?? failure.operation ?? '?'}`;
        const dedupe = `${check.name}|${operation}|${message.split('\n')[0]}|${status}`;
        const seen = findings.get(dedupe);
        if (seen) {
          seen.count += 1;
          continue;
        }
        findings.set(dedupe, {
          check: check.name,
          code: failure.code ?? '',
          title: failure.title ?? check.status,
          operation,
          message,
          request: describeRequest(value),
          status,
          response: decodeBody(interaction?.response?.content),
          count: 1,
        });
      }
    }
  }
  result.findings = [...findings.values()];
}

function readJsonReport(text: string, result: FuzzResult): void {
  if (!text) return;
  try {
    const report = JSON.parse(text);
    for (const error of report.errors ?? []) result.errors.push(describeError(error));
  } catch {
    /* the NDJSON events are enough */
  }
}

function describeError(error: any): string {
  if (typeof error === 'string') return error;
  const text = error?.info?.message ?? error?.message ?? error?.title ?? JSON.stringify(error);
  const where = error?.label ?? error?.operation ?? '';
  return `${where ? `${where}: ` : ''}${String(text).slice(0, 500)}`;
}

function describeRequest(value: any): string {
  let pathname = String(value.path ?? '?');
  for (const [name, param] of Object.entries<any>(value.path_parameters ?? {}))
    pathname = pathname.replace(`{${name}}`, encodeURIComponent(String(param)));
  const query = value.query && Object.keys(value.query).length ? `?${new URLSearchParams(value.query).toString()}` : '';
  const headers = Object.entries<any>(value.headers ?? {})
    .filter(([name]) => name.toLowerCase() !== 'x-api-key')
    .map(([name, v]) => `${name}: ${String(v)}`);
  const body =
    value.body === undefined || value.body === null
      ? ''
      : ` body ${truncate(typeof value.body === 'string' ? value.body : JSON.stringify(value.body), 300)}`;
  const media = value.media_type ? ` (${value.media_type})` : '';
  return `${String(value.method ?? '?').toUpperCase()} ${pathname}${query}${headers.length ? ` [${headers.join('; ')}]` : ''}${media}${body}`;
}

function decodeBody(content: any): string | undefined {
  if (!content) return undefined;
  const raw =
    typeof content === 'string'
      ? content
      : content.$base64
        ? Buffer.from(content.$base64, 'base64').toString('utf8')
        : JSON.stringify(content);
  return truncate(raw, 400);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A further stateful run (with `seed`) added to the figures of the first. */
export function combine(first: FuzzResult, more: FuzzResult, seed: number): FuzzResult {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
  };
  const perPhase = { ...first.perPhase };
  add(perPhase, more.perPhase);
  const perOperation = structuredClone(first.perOperation);
  for (const [label, op] of Object.entries(more.perOperation)) {
    const into = (perOperation[label] ??= { requests: 0, statuses: {} });
    into.requests += op.requests;
    add(into.statuses, op.statuses);
  }
  return {
    ...first,
    command: `${first.command}\n${more.command}`,
    exitCode: first.exitCode === 0 ? more.exitCode : first.exitCode,
    durationMs: first.durationMs + more.durationMs,
    requests: first.requests + more.requests,
    perPhase,
    perOperation,
    serverErrors: first.serverErrors + more.serverErrors,
    findings: [...first.findings, ...more.findings],
    errors: [...first.errors, ...more.errors],
    offHost: [...first.offHost, ...more.offHost],
    statefulLinks: `${first.statefulLinks ?? 'none'}; then (seed ${seed}) ${more.statefulLinks ?? 'none'}`,
    statefulSeeds: [...(first.statefulSeeds ?? []), seed],
    output: `${first.output}\n${more.output}`,
    failureReport: [first.failureReport, more.failureReport].filter(Boolean).join('\n\n'),
  };
}

/** Whether the run found nothing: no failed check, no 5xx, no error, nothing off the API's host. */
export function passed(result: FuzzResult): boolean {
  return (
    result.exitCode === 0 &&
    result.findings.length === 0 &&
    result.serverErrors === 0 &&
    result.errors.length === 0 &&
    result.offHost.length === 0
  );
}

export function formatFigures(result: FuzzResult): string {
  const { options } = result;
  const byCheck = new Map<string, number>(options.checks.filter((c) => c !== 'all').map((c) => [c, 0]));
  for (const f of result.findings) byCheck.set(f.check, (byCheck.get(f.check) ?? 0) + f.count);
  const schemaViolations = result.findings.filter((f) => f.check !== 'not_a_server_error').reduce((n, f) => n + f.count, 0);
  const lines = [
    `schemathesis ${SCHEMATHESIS_VERSION}: ${result.requests.toLocaleString('en')} requests in ${(result.durationMs / 1000).toFixed(1)} s ` +
      `(${options.seed === undefined ? 'deterministic' : `seed ${options.seed}`}, max-examples ${options.maxExamples}` +
      `${options.statefulMaxExamples ? ` (stateful ${options.statefulMaxExamples})` : ''}, phases ${options.phases.join(',')}` +
      `${result.statefulSeeds?.length ? `; then stateful with seeds ${result.statefulSeeds.join(', ')}` : ''}), exit ${result.exitCode}`,
    `  per phase:         ${
      Object.entries(result.perPhase)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ') || 'none'
    }`,
    `  server errors:     ${result.serverErrors} responses with a 5xx status`,
    `  schema violations: ${schemaViolations} failed test cases (${result.findings.length} distinct)`,
    `  failed checks:     ${[...byCheck].map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `  stateful:          ${result.statefulLinks ?? 'no stateful phase'}`,
    `  schemathesis errors: ${result.errors.length}; requests off the API host: ${result.offHost.length}`,
    '',
    `  ${'operation'.padEnd(38)} ${'requests'.padStart(8)}  statuses`,
  ];
  const declared = new Set(result.declared);
  const probes: OperationFigures = { requests: 0, statuses: {} };
  const row = (label: string, op: OperationFigures) => {
    const statuses = Object.entries(op.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    lines.push(`  ${label.padEnd(38)} ${String(op.requests).padStart(8)}  ${statuses}`);
  };
  for (const [label, op] of Object.entries(result.perOperation).sort(([a], [b]) => a.localeCompare(b))) {
    if (declared.has(label)) {
      row(label, op);
      continue;
    }
    probes.requests += op.requests;
    for (const [s, n] of Object.entries(op.statuses)) probes.statuses[s] = (probes.statuses[s] ?? 0) + n;
  }
  if (probes.requests) row('(undeclared methods, coverage probes)', probes);
  return lines.join('\n');
}

export function formatFindings(result: FuzzResult): string {
  const lines: string[] = [];
  result.findings.forEach((f, i) => {
    lines.push(`${i + 1}. [${f.code} ${f.check}] ${f.operation} → ${f.status ?? 'no answer'} (${f.count} case${f.count === 1 ? '' : 's'})`);
    lines.push(`   ${f.message.split('\n').join('\n   ')}`);
    lines.push(`   request:  ${f.request}`);
    if (f.response !== undefined) lines.push(`   response: ${f.response}`);
  });
  for (const error of result.errors) lines.push(`error: ${error}`);
  for (const uri of result.offHost) lines.push(`off the API host: ${uri}`);
  return lines.join('\n');
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not ${JSON.stringify(value)}`);
  return n;
}

/** Further stateful-only runs (other seeds) when the first one's stateful phase ended short. */
const EXTRA_STATEFUL_PASSES = 3;
/** Requests per stateful example (scenario) with max-steps 10: ≈ 10 measured; with a margin. */
const REQUESTS_PER_SCENARIO = 8;

async function main(): Promise<number> {
  const minRequests = positiveInt(flag('requests') ?? process.env.FUZZ_REQUESTS, 'FUZZ_REQUESTS') ?? 10_000;
  const phases = (flag('phases') ?? process.env.FUZZ_PHASES)?.split(',').map((p) => p.trim()) ?? ALL_PHASES;
  const stateful = phases.includes('stateful');
  const statefulTarget = stateful
    ? (positiveInt(flag('stateful-requests') ?? process.env.FUZZ_STATEFUL_REQUESTS, 'FUZZ_STATEFUL_REQUESTS') ?? Math.ceil(minRequests / 4))
    : 0;
  // On this spec: ≈ 770 coverage + 20 examples + ≈ 11 fuzzing requests per max-example (one per
  // operation with inputs); the stateful phase has its own number of scenarios. The rest of the
  // budget is fuzzing's.
  const maxExamples =
    positiveInt(flag('max-examples') ?? process.env.FUZZ_MAX_EXAMPLES, 'FUZZ_MAX_EXAMPLES') ??
    Math.max(10, Math.ceil((minRequests - statefulTarget - 790) / 11));
  const statefulMaxExamples = stateful ? Math.max(10, Math.ceil(statefulTarget / REQUESTS_PER_SCENARIO)) : undefined;
  const seed = positiveInt(flag('seed') ?? process.env.FUZZ_SEED, 'FUZZ_SEED');
  const checksWanted = flag('checks') ?? process.env.FUZZ_CHECKS;
  const checks = checksWanted ? checksWanted.split(',').map((c) => c.trim()) : GATE_CHECKS;
  const reportDir = flag('report-dir') ?? process.env.FUZZ_REPORT_DIR;

  console.log(`npm run fuzz: starting the stack (Temporal dev server, simulators, worker, API)…`);
  const stack = await startStack(FUZZ_STACK_ENV);
  try {
    const options: FuzzOptions = {
      apiUrl: stack.service.apiUrl!,
      apiKey: API_KEY,
      maxExamples,
      statefulMaxExamples,
      seed,
      phases,
      checks,
      echo: process.env.FUZZ_QUIET !== '1',
      reportDir,
    };
    let result = await runSchemathesis(options);
    // Hypothesis ends a stateful phase early when the live API answers a replayed prefix of an earlier
    // scenario differently (its "flaky" data): further stateful runs, each with its own seed, make up the share.
    for (let pass = 1; pass <= EXTRA_STATEFUL_PASSES && (result.perPhase.stateful ?? 0) < statefulTarget && passed(result); pass++) {
      const passSeed = (seed ?? 0) + pass;
      console.log(`\nStateful requests so far ${result.perPhase.stateful ?? 0} < ${statefulTarget}: a stateful run with seed ${passSeed}…`);
      const more = await runSchemathesis({
        ...options,
        phases: ['stateful'],
        seed: passSeed,
        reportDir: reportDir && path.join(reportDir, `stateful-${pass}`),
      });
      result = combine(result, more, passSeed);
    }
    console.log(`\n${result.command}\n`);
    console.log(formatFigures(result));
    if (result.findings.length || result.errors.length || result.offHost.length) console.log(`\nFindings\n${formatFindings(result)}`);
    if (result.serverErrors) {
      const errors = stack.logs.filter((l) => /"level":(50|60)/.test(l)).slice(0, 20);
      if (errors.length) console.log(`\nThe service's error log lines (first ${errors.length}):\n${errors.join('')}`);
    }
    let ok = passed(result);
    if (result.requests < minRequests) {
      console.log(`\nOnly ${result.requests} requests, fewer than ${minRequests}: raise --max-examples (now ${maxExamples}).`);
      ok = false;
    }
    if ((result.perPhase.stateful ?? 0) < statefulTarget) {
      console.log(`\nOnly ${result.perPhase.stateful ?? 0} stateful requests, fewer than ${statefulTarget}.`);
      ok = false;
    }
    console.log(ok ? '\nfuzz: passed' : '\nfuzz: FAILED');
    return ok ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
