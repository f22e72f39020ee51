// The chaos run's processes, each the production entry of the build (dist/): the Temporal dev server
// (state on disk), the simulators, the worker and the API, on fixed loopback ports so that a
// restarted process comes back where its callers expect it. Each can be killed (-9) and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { epxSandboxUrls } from '../../src/sandbox/epx/app';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../free-port';
import { sleep } from './http';

const ROOT = path.resolve(__dirname, '../..');
/** Node's flags in the image's CMD (Dockerfile): the worker and the API run with them here too. */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=160'];

export interface ChaosPorts {
  temporal: number;
  ui: number;
  api: number;
  parkingplus: number;
  mobilpay: number;
  epx: number;
  linkc: number;
  ector: number;
}

export async function choosePorts(): Promise<ChaosPorts> {
  const names = ['temporal', 'ui', 'api', 'parkingplus', 'mobilpay', 'epx', 'linkc', 'ector'] as const;
  const ports: Partial<ChaosPorts> = {};
  for (const name of names) ports[name] = await freePort();
  return ports as ChaosPorts;
}

const local = (port: number) => `http://127.0.0.1:${port}`;

/** One configuration for every process (each reads what it needs), as an operator would set it. */
export function chaosEnvironment(
  ports: ChaosPorts,
  dataDir: string,
  apiKey: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const epx = epxSandboxUrls(local(ports.epx));
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    TEMPORAL_EMBEDDED: 'false',
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    SANDBOX_ENABLED: 'false',
    SANDBOX_PARKINGPLUS_PORT: String(ports.parkingplus),
    SANDBOX_MOBILPAY_PORT: String(ports.mobilpay),
    SANDBOX_EPX_PORT: String(ports.epx),
    SANDBOX_LINKC_PORT: String(ports.linkc),
    SANDBOX_ECTOR_PORT: String(ports.ector),
    PARKINGPLUS_BASE_URL: local(ports.parkingplus),
    MOBILPAY_BASE_URL: local(ports.mobilpay),
    EPX_KEY_EXCHANGE_URL: epx.keyExchangeUrl,
    EPX_BROWSER_POST_URL: epx.browserPostUrl,
    EPX_SERVER_POST_URL: epx.serverPostUrl,
    LINKC_BASE_URL: local(ports.linkc),
    ECTOR_BASE_URL: local(ports.ector),
    API_PORT: String(ports.api),
    PUBLIC_BASE_URL: local(ports.api),
    API_KEYS: `chaos:${apiKey}`,
    UPSTREAM_TIMEOUT_MS: '2000',
    TEMPORAL_METRICS_BIND: '', // two processes of ours on one host: the Runtime's exporter port would clash
    // The run is its own load: no quota of ours in its way (the abuse tests prove the quotas).
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    TENANT_STARTS_PER_MINUTE: '1000000',
    TENANT_PAYS_PER_MINUTE: '1000000',
    PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
    RETURN_RATE_LIMIT_PER_MINUTE: '1000000', // every driver's browser is this one address
    ...overrides,
  };
}

/** A child process that can be started, killed with SIGKILL and started again; its output goes to one log file. */
export class ManagedProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly log: WriteStream;
  private tail = '';
  private expectingExit = false;
  starts = 0;
  kills = 0;
  /** Exits nobody asked for (a crash): a chaos run fails on any. */
  unexpectedExits = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly ready: (output: string) => Promise<boolean>,
    logDir: string,
    /** Node's own flags for the process (the benchmark's --cpu-prof). */
    private readonly nodeArgs: string[] = [],
  ) {
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    this.tail = '';
    this.expectingExit = false;
    const child = spawn(process.execPath, [...this.nodeArgs, path.join(ROOT, this.entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.log.write(chunk);
        this.tail = (this.tail + chunk).slice(-20_000);
      });
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.log.write(`\n--- ${this.name} exited (code ${code}, signal ${signal}) ---\n`);
        if (!this.expectingExit) this.unexpectedExits += 1;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (!(await this.ready(this.tail).catch(() => false))) {
      if (!this.running) throw new Error(`${this.name} exited while starting: ${lastLines(this.tail)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms: ${lastLines(this.tail)}`);
      await sleep(200);
    }
  }

  /** SIGKILL: no shutdown hook runs, whatever was in flight is cut. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.kills += 1;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child!.kill('SIGTERM');
    const forced = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(forced);
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

/** The dev server as a restartable piece: stopped and started again on the same database file and port. */
export class RestartableDevServer {
  private server?: DevServer;
  restarts = 0;

  constructor(
    private readonly ports: ChaosPorts,
    private readonly dataDir: string,
    private readonly onLog: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.server = await startDevServer({
      host: '127.0.0.1',
      port: this.ports.temporal,
      uiPort: this.ports.ui,
      namespace: 'default',
      dataDir: this.dataDir,
      onLog: this.onLog,
    });
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  async restart(): Promise<void> {
    await this.server?.stop();
    this.restarts += 1;
    await this.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

export interface ChaosProcesses {
  ports: ChaosPorts;
  env: Record<string, string>;
  devServer: RestartableDevServer;
  simulators: ManagedProcess;
  worker: ManagedProcess;
  api: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts everything from the build in dist/ (run `node scripts/build.js` first). */
export async function startChaosProcesses(
  runDir: string,
  apiKey: string,
  overrides: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ChaosProcesses> {
  const ports = await choosePorts();
  const dataDir = path.join(runDir, 'data');
  const logDir = path.join(runDir, 'logs');
  const env = chaosEnvironment(ports, dataDir, apiKey, overrides);
  mkdirSync(logDir, { recursive: true });
  const serverLog = createWriteStream(path.join(logDir, 'temporal.log'), { flags: 'a' });
  const devServer = new RestartableDevServer(ports, dataDir, (line) => serverLog.write(`${line}\n`));
  const simulatorsUp = async () => (await fetch(`${local(ports.ector)}/__sandbox/faults`)).ok;
  const simulators = new ManagedProcess('simulators', 'dist/sandbox/main.js', env, simulatorsUp, logDir, nodeArgs);
  const worker = new ManagedProcess(
    'worker',
    'dist/main.js',
    { ...env, PARKFLOW_ROLE: 'worker' },
    async (out) => out.includes('parkflow is running (worker)'), // printed at any log level, once the worker polls
    logDir,
    [...PRODUCTION_NODE_FLAGS, ...nodeArgs],
  );
  const apiUp = async () => (await fetch(`${local(ports.api)}/healthz`)).ok;
  const api = new ManagedProcess('api', 'dist/main.js', { ...env, PARKFLOW_ROLE: 'api' }, apiUp, logDir, [
    ...PRODUCTION_NODE_FLAGS,
    ...nodeArgs,
  ]);
  const stop = async () => {
    await Promise.allSettled([api.close(), worker.close()]);
    await simulators.close();
    await devServer.stop();
    serverLog.end();
  };
  try {
    await devServer.start();
    await simulators.start();
    await worker.start();
    await api.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, env, devServer, simulators, worker, api, stop };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}
