import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { freePort } from '../scripts/free-port';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { epxSandboxUrls } from '../src/sandbox/epx/app';

// Production runs from the build: `npm run build` compiles to dist/ with the workflow bundle
// prebuilt, and `node dist/main.js` is the whole service (here with its embedded dev server and
// simulators on free ports), with production dependencies only.

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

let built: ReturnType<typeof spawnSync>;
beforeAll(() => {
  built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
}, 180_000);

test('npm run build compiles src/ to dist/ and prebuilds the workflow bundle', () => {
  expect({ status: built.status, stderr: built.status === 0 ? '' : built.stderr }).toEqual({ status: 0, stderr: '' });
  for (const file of ['main.js', 'worker.js', 'workflow-bundle.js', 'cluster-setup.js', 'healthcheck.js']) {
    expect({ file, exists: existsSync(path.join(DIST, file)) }).toEqual({ file, exists: true });
  }
  // The bundle is the workflows' code, ready for the worker: its registered workflow functions are in it.
  expect(readFileSync(path.join(DIST, 'workflow-bundle.js'), 'utf8')).toMatch(/parkingPlusJourney/);
});

test('the compiled code requires only Node built-ins, production dependencies and files that ship', () => {
  const outside = new Set<string>();
  for (const file of jsFiles(DIST)) {
    if (file.endsWith('workflow-bundle.js')) continue; // self-contained by construction
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec!.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec!);
        expect({ file, spec, resolves: [target, `${target}.js`, path.join(target, 'index.js')].some((p) => existsSync(p)) }).toEqual({
          file,
          spec,
          resolves: true,
        });
        if (!target.startsWith(DIST)) outside.add(path.relative(ROOT, target));
        continue;
      }
      const name = spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!;
      const runtime = builtinModules.includes(name.replace(/^node:/, '')) || name in pkg.dependencies;
      expect({ file: path.relative(ROOT, file), name, runtime }).toEqual({ file: path.relative(ROOT, file), name, runtime: true });
    }
  }
  // Outside dist/ only the plain-JS binary locator of the embedded dev server (the image copies it).
  expect([...outside]).toEqual(['scripts/temporal-binaries']);
});

describe('node dist/main.js', () => {
  let service: ChildProcess;
  let output = '';
  let env: Record<string, string>;
  let api: string;
  /** A port nothing listens on. */
  let closedPort: string;

  beforeAll(async () => {
    const names = ['temporal', 'ui', 'api', 'metrics', 'parkingPlus', 'mobilPay', 'epx', 'linkc', 'ector', 'closed'] as const;
    const free = await freePorts(names.length);
    const port = Object.fromEntries(names.map((name, i) => [name, String(free[i])])) as Record<(typeof names)[number], string>;
    closedPort = port.closed;
    api = `http://127.0.0.1:${port.api}`;
    const local = (p: string) => `http://127.0.0.1:${p}`;
    const epx = epxSandboxUrls(local(port.epx));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parkflow-build-')),
      TEMPORAL_ADDRESS: `127.0.0.1:${port.temporal}`,
      TEMPORAL_UI_PORT: port.ui,
      TEMPORAL_METRICS_BIND: `127.0.0.1:${port.metrics}`,
      API_PORT: port.api,
      PUBLIC_BASE_URL: api,
      SANDBOX_PARKINGPLUS_PORT: port.parkingPlus,
      PARKINGPLUS_BASE_URL: local(port.parkingPlus),
      SANDBOX_MOBILPAY_PORT: port.mobilPay,
      MOBILPAY_BASE_URL: local(port.mobilPay),
      SANDBOX_EPX_PORT: port.epx,
      EPX_KEY_EXCHANGE_URL: epx.keyExchangeUrl,
      EPX_BROWSER_POST_URL: epx.browserPostUrl,
      EPX_SERVER_POST_URL: epx.serverPostUrl,
      SANDBOX_LINKC_PORT: port.linkc,
      LINKC_BASE_URL: local(port.linkc),
      SANDBOX_ECTOR_PORT: port.ector,
      ECTOR_BASE_URL: local(port.ector),
      JOURNEY_POLL_FIRST_MS: '500',
      ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
    };
    // Node itself, no loader, no NODE_OPTIONS: nothing but the compiled JavaScript.
    service = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [service.stdout!, service.stderr!]) stream.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    await waitFor(
      async () => (await fetch(`${api}/healthz`)).ok,
      () => `the API never answered /healthz:\n${output}`,
    );
  }, 120_000);

  afterAll(async () => {
    if (service && service.exitCode === null && service.signalCode === null) {
      service.kill('SIGKILL');
      await new Promise((resolve) => service.once('exit', resolve));
    }
    if (env?.DATA_DIR) rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  test('runs the compiled code under plain node, its worker on the prebuilt workflow bundle', () => {
    const cmdline = readFileSync(`/proc/${service.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(cmdline).toEqual([process.execPath, 'dist/main.js']);
    expect(output).not.toMatch(/tsx/);
    const worker = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; workflows?: string })
      .find((entry) => entry.msg === 'worker running');
    expect(worker?.workflows).toBe(path.join(DIST, 'workflow-bundle.js'));
  });

  test('serves the API with the development key and runs a journey', async () => {
    const ticket = String(Date.now());
    const res = await fetch(`${api}/v1/journeys`, {
      method: 'POST',
      headers: { 'X-API-Key': 'dev-api-key', 'Content-Type': 'application/json', 'Idempotency-Key': `build-${ticket}` },
      body: JSON.stringify({ provider: 'linkc', localizador: ticket }),
    });
    const body = (await res.json()) as { state?: string };
    expect({ status: res.status, state: body.state }).toEqual({ status: 201, state: 'awaiting_payment' });
  }, 60_000);

  test('the image one-shot and health check run from dist against the same Temporal', () => {
    const cluster = { ...env, TEMPORAL_EMBEDDED: 'false', SANDBOX_ENABLED: 'false', TEMPORAL_METRICS_BIND: '' };
    const setup = spawnSync(process.execPath, ['dist/cluster-setup.js'], { cwd: ROOT, env: cluster, encoding: 'utf8', timeout: 30_000 });
    expect({ status: setup.status, stderr: setup.stderr }).toEqual({ status: 0, stderr: '' });
    expect(setup.stdout).toMatch(/search attributes in place/);

    const healthy = spawnSync(process.execPath, ['dist/healthcheck.js'], { cwd: ROOT, env, encoding: 'utf8', timeout: 10_000 });
    expect({ status: healthy.status, stderr: healthy.stderr }).toEqual({ status: 0, stderr: '' });
    const worker = { ...env, PARKFLOW_ROLE: 'worker' }; // probes the Temporal Runtime's metrics address
    expect(spawnSync(process.execPath, ['dist/healthcheck.js'], { cwd: ROOT, env: worker, timeout: 10_000 }).status).toBe(0);
    const elsewhere = { ...env, API_PORT: closedPort };
    const sick = spawnSync(process.execPath, ['dist/healthcheck.js'], { cwd: ROOT, env: elsewhere, encoding: 'utf8', timeout: 10_000 });
    expect({ status: sick.status, stderr: sick.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/^unhealthy: /) });
  }, 60_000);

  test('SIGTERM stops it cleanly', async () => {
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    service.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/parkflow stopped/);
  }, 15_000);
});

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(full);
    return entry.name.endsWith('.js') ? [full] : [];
  });
}

/** n distinct free ports. */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function waitFor(check: () => Promise<boolean>, failure: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((r) => setTimeout(r, 250));
  }
}
