import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../scripts/free-port';
import { requireBinary } from '../../scripts/temporal-binaries';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { listen, type Listening } from '../../src/sandbox/harness';
import { createEctorSandbox, type EctorSandbox } from '../../src/sandbox/ector/app';
import { createEpxSandbox, epxSandboxUrls, type EpxSandbox } from '../../src/sandbox/epx/app';
import { createLinkcSandbox, type LinkcSandbox } from '../../src/sandbox/linkc/app';
import { createMobilPaySandbox, type MobilPaySandbox } from '../../src/sandbox/mobilpay/app';
import { createParkingPlusSandbox, type ParkingPlusSandbox } from '../../src/sandbox/parkingplus/app';
import { startService, type Service } from '../../src/service';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { contractViolations, type RecordedResponse } from './contract';
import { testDataConverter, workflowBundle } from './temporal';

/** The simulator's three EPX hosts (one port, a path each) as the configuration names them. */
export function epxUrlSettings(origin: string): Record<string, string> {
  const urls = epxSandboxUrls(origin);
  return { EPX_KEY_EXCHANGE_URL: urls.keyExchangeUrl, EPX_BROWSER_POST_URL: urls.browserPostUrl, EPX_SERVER_POST_URL: urls.serverPostUrl };
}

export const API_KEY = 'e2e-test-api-key';
/** A second backend service: it must not see the first one's journeys. */
export const OTHER_API_KEY = 'e2e-other-backend-key';
/** The key the Ector simulator takes (and rotates away from in tests). */
export const ECTOR_API_KEY = 'e2e-ector-api-key';

/** The real thing on one machine: Temporal dev server, simulator, worker and API on free ports. */
export interface Stack {
  env: TestWorkflowEnvironment;
  config: Config;
  service: Service;
  parkingPlus: ParkingPlusSandbox;
  parkingPlusServer: Listening;
  mobilPay: MobilPaySandbox;
  epx: EpxSandbox;
  linkc: LinkcSandbox;
  ector: EctorSandbox;
  /** Every line the service logged (at debug level). */
  logs: string[];
  /** Every answer `api` got, to check against /openapi.json. */
  responses: RecordedResponse[];
  /** The answers so far that /openapi.json does not describe. */
  contractViolations(): Promise<string[]>;
  api(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the JSON they expect
  ): Promise<{ status: number; type: string; body: any; headers: Record<string, string> }>;
  stop(): Promise<void>;
  /** Stops the service (worker and API) and the simulators, then starts them again on the same ports (Temporal keeps running). */
  restart(): Promise<void>;
  /** The dev server's Web UI, when started with `ui: true`. */
  uiUrl?: string;
}

type StackOptions = {
  linkcTransactionValiditySeconds?: number;
  ectorPaymentWindowSeconds?: number;
  dataDir?: string;
  /** More `temporal server start-dev` flags (e.g. --dynamic-config-value). */
  serverArgs?: string[];
  /** Start the dev server's Web UI, its codec endpoint the API's /codec (as `npm start` does). */
  ui?: boolean;
};

/** The ports of the API and of the Web UI, chosen before the dev server starts when its UI must know the codec endpoint. */
type Ports = { api: number; ui?: number };

export async function startStack(overrides: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const ports: Ports = { api: await freePort(), ui: options.ui ? await freePort() : undefined };
  const codecArgs = ports.ui ? ['--ui-codec-endpoint', `http://127.0.0.1:${ports.api}/codec`] : [];
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireBinary('cli') },
      searchAttributes: JOURNEY_SEARCH_ATTRIBUTES,
      ui: !!ports.ui,
      ...(ports.ui && { uiPort: ports.ui }),
      extraArgs: [...(options.serverArgs ?? []), ...codecArgs],
    },
    client: { dataConverter: testDataConverter() }, // the service's own converter (same development key ring)
  });
  try {
    return await stackOn(env, overrides, options, ports);
  } catch (err) {
    await env.teardown().catch(() => undefined); // a dev server left running would keep Jest from exiting
    throw err;
  }
}

async function stackOn(
  env: TestWorkflowEnvironment,
  overrides: Record<string, string>,
  options: StackOptions,
  ports: Ports,
): Promise<Stack> {
  // With a dataDir the simulators keep their state on disk, and a restart continues from it.
  const { dataDir } = options;
  const simulators = {
    parkingPlus: () => createParkingPlusSandbox({ dataDir }),
    mobilPay: () => createMobilPaySandbox({ notifyRetry: { attempts: 3, delayMs: 100 }, dataDir }),
    epx: () => createEpxSandbox({ dataDir }),
    linkc: () => createLinkcSandbox({ transactionValiditySeconds: options.linkcTransactionValiditySeconds, dataDir }),
    ector: () => createEctorSandbox({ apiKey: ECTOR_API_KEY, paymentWindowSeconds: options.ectorPaymentWindowSeconds, dataDir }),
  };
  const parkingPlus = simulators.parkingPlus();
  let parkingPlusServer = await listen(parkingPlus.app, 0);
  const mobilPay = simulators.mobilPay();
  let mobilPayServer = await listen(mobilPay.app, 0);
  const epx = simulators.epx();
  let epxServer = await listen(epx.app, 0);
  const linkc = simulators.linkc();
  let linkcServer = await listen(linkc.app, 0);
  const ector = simulators.ector();
  let ectorServer = await listen(ector.app, 0);
  const apiPort = ports.api;
  const config = loadConfig({
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: `e2e-${randomUUID()}`,
    SANDBOX_ENABLED: 'false',
    PARKINGPLUS_BASE_URL: parkingPlusServer.url,
    MOBILPAY_BASE_URL: mobilPayServer.url,
    ...epxUrlSettings(epxServer.url),
    LINKC_BASE_URL: linkcServer.url,
    ECTOR_BASE_URL: ectorServer.url,
    ECTOR_API_KEY,
    ...(options.ectorPaymentWindowSeconds ? { ECTOR_PAYMENT_WINDOW_SECONDS: String(options.ectorPaymentWindowSeconds) } : {}),
    API_PORT: String(apiPort),
    ...(ports.ui && { TEMPORAL_UI_PORT: String(ports.ui) }), // the codec endpoint's CORS lets the UI's origin in
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    API_KEYS: `e2e:${API_KEY},other:${OTHER_API_KEY}`,
    JOURNEY_POLL_FIRST_MS: '200',
    JOURNEY_POLL_MAX_MS: '1000',
    UPSTREAM_TIMEOUT_MS: '3000',
    // Suites start many journeys and load pages from one address: quotas out of the way (test/abuse.test.ts proves them).
    TENANT_STARTS_PER_MINUTE: '100000',
    TENANT_PAYS_PER_MINUTE: '100000',
    PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
    ...overrides,
  });
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  let service = await startService(config, logger, { workflowBundle: await workflowBundle() });

  const api: Stack['api'] = async (path, init = {}) => {
    const res = await fetch(`${service.apiUrl!}${path}`, {
      method: requestMethod(init),
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...init.headers },
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    const answer = { status: res.status, type: res.headers.get('content-type') ?? '', body, headers: Object.fromEntries(res.headers) };
    responses.push({ method: requestMethod(init), path, ...answer });
    return answer;
  };
  const responses: RecordedResponse[] = [];

  const stack: Stack = {
    env,
    config,
    ...(ports.ui && { uiUrl: `http://127.0.0.1:${ports.ui}` }),
    service,
    parkingPlus,
    parkingPlusServer,
    mobilPay,
    epx,
    linkc,
    ector,
    logs,
    api,
    responses,
    contractViolations: async () => contractViolations((await api('/openapi.json')).body, responses),
    stop: async () => {
      await service.stop();
      await Promise.all([parkingPlusServer.close(), mobilPayServer.close(), epxServer.close(), linkcServer.close(), ectorServer.close()]);
      await env.teardown();
    },
    restart: async () => {
      await service.stop();
      await Promise.all([parkingPlusServer.close(), mobilPayServer.close(), epxServer.close(), linkcServer.close(), ectorServer.close()]);
      stack.parkingPlus = simulators.parkingPlus();
      stack.parkingPlusServer = parkingPlusServer = await listen(stack.parkingPlus.app, parkingPlusServer.port);
      stack.mobilPay = simulators.mobilPay();
      mobilPayServer = await listen(stack.mobilPay.app, mobilPayServer.port);
      stack.epx = simulators.epx();
      epxServer = await listen(stack.epx.app, epxServer.port);
      stack.linkc = simulators.linkc();
      linkcServer = await listen(stack.linkc.app, linkcServer.port);
      stack.ector = simulators.ector();
      ectorServer = await listen(stack.ector.app, ectorServer.port);
      stack.service = service = await startService(config, logger, { workflowBundle: await workflowBundle() });
    },
  };
  return stack;
}

function requestMethod(init: { method?: string; body?: unknown; rawBody?: string }): string {
  return init.method ?? (init.body === undefined && init.rawBody === undefined ? 'GET' : 'POST');
}

/** Polls until `check` returns a value (or times out with the last value seen). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
