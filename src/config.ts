import { z } from 'zod';
import { OPERATORS } from './registry/operators';
import { PROCESSORS } from './registry/processors';
import { port, url } from './registry/fields';
import { type UnionToIntersection } from './registry/rows';
import { SANDBOX_MERCHANT_BILLING } from './activities/mobilpay/client';
import { SANDBOX_NETOPIA_PUBLIC_KEY } from './sandbox/mobilpay/sandbox-keys';
import { TEMPORAL_CONNECTION_VARIABLES, WORKER_TUNING_VARIABLES } from './temporal/settings';
import { MAX_WAIT_MS } from './workflows/messages';

// One validated configuration, read from the environment: the base below plus every registry
// row's slice. Every default is the embedded development setup (`npm start`); production
// overrides it variable by variable.

// Development only: a fixed, public key so `npm start` needs no set-up. Production must set its own.
const DEV_SECRET_KEY = 'cGFya2Zsb3ctZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGU=';

const TENANT = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const ApiKeyEntry = z
  .string()
  .regex(/^[^:]+:.+$/, 'each entry is tenant:key')
  .transform((entry) => {
    const at = entry.indexOf(':');
    return { tenant: entry.slice(0, at), key: entry.slice(at + 1) };
  })
  .pipe(
    z.object({
      tenant: z.string().regex(TENANT, 'a tenant is lowercase letters, digits and inner dashes (at most 32)'),
      key: z.string().min(8, 'each API key needs at least 8 characters'),
    }),
  );

// --- Payload encryption and the codec endpoint (issue 11) ---
// Development only, like DEV_SECRET_KEY: public values so `npm start` needs no set-up.
const DEV_PAYLOAD_KEY = 'cGFya2Zsb3ctZGV2LXBheWxvYWQta2V5LTMyLWJ5dGU=';
const DEV_OPERATOR_KEY = 'dev-operator-key-0001';
const commaList = (s: string) =>
  s
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
const PayloadKeyEntry = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}:.+$/, 'each entry is keyId:base64-key (id: letters, digits, dot, dash, underscore)')
  .transform((entry) => ({ id: entry.slice(0, entry.indexOf(':')), key: entry.slice(entry.indexOf(':') + 1) }))
  .refine((k) => Buffer.from(k.key, 'base64').length === 32, 'each key must be 32 bytes, base64-encoded');
const CODEC_FIELDS = {
  /** keyId:base64-key pairs: the first encrypts, every one decrypts (old keys stay listed until their journeys are gone). */
  PARKFLOW_PAYLOAD_KEYS: z
    .string()
    .default(`dev-1:${DEV_PAYLOAD_KEY}`)
    .transform(commaList)
    .pipe(z.array(PayloadKeyEntry).min(1, 'needs at least one key'))
    .refine((ring) => new Set(ring.map((k) => k.id)).size === ring.length, 'each key id only once'),
  /** Tokens that let an operator use the codec endpoint (decode payloads in the Temporal UI). */
  PARKFLOW_OPERATOR_KEYS: z
    .string()
    .default(DEV_OPERATOR_KEY)
    .transform(commaList)
    .pipe(z.array(z.string().min(16, 'each operator key needs at least 16 characters')).min(1)),
  /** Browser origins (the Temporal UI) allowed to call the codec endpoint; unset: the embedded UI's. */
  PARKFLOW_UI_ORIGINS: z
    .string()
    .transform(commaList)
    .pipe(
      z.array(z.string().refine((o) => URL.canParse(o) && new URL(o).origin === o, 'each entry is an origin such as https://ui.example')),
    )
    .optional(),
};
function refineCodecConfig(
  c: z.infer<z.ZodObject<typeof CODEC_FIELDS>> & { NODE_ENV: string; PARKFLOW_ROLE: string },
  ctx: z.RefinementCtx,
): void {
  if (c.NODE_ENV !== 'production') return;
  if (c.PARKFLOW_PAYLOAD_KEYS.some((k) => k.key === DEV_PAYLOAD_KEY)) {
    ctx.addIssue({ code: 'custom', path: ['PARKFLOW_PAYLOAD_KEYS'], message: 'must not contain the development key in production' });
  }
  if (c.PARKFLOW_ROLE !== 'worker' && c.PARKFLOW_OPERATOR_KEYS.includes(DEV_OPERATOR_KEY)) {
    ctx.addIssue({ code: 'custom', path: ['PARKFLOW_OPERATOR_KEYS'], message: 'must not contain the development key in production' });
  }
}
/** The origins CORS lets call /codec: PARKFLOW_UI_ORIGINS, or the embedded Temporal UI. */
export function uiOrigins(c: Pick<Config, 'PARKFLOW_UI_ORIGINS' | 'TEMPORAL_UI_PORT'>): string[] {
  return c.PARKFLOW_UI_ORIGINS ?? [`http://127.0.0.1:${c.TEMPORAL_UI_PORT}`, `http://localhost:${c.TEMPORAL_UI_PORT}`];
}
// --- end payload encryption ---

const BaseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),
  /** all: worker + API in one process (npm start); worker or api: one role, for scaling each apart. */
  PARKFLOW_ROLE: z.enum(['all', 'worker', 'api']).default('all'),

  TEMPORAL_EMBEDDED: z.stringbool().default(true),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('parkflow'),
  TEMPORAL_UI_PORT: port.default(8233),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** `tenant:key` pairs: each backend service is a tenant; several keys per tenant let a key rotate. */
  API_KEYS: z
    .string()
    .default('dev:dev-api-key')
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(ApiKeyEntry).min(1)),
  /** How long the API waits on Temporal: reads, then steps (a step may wait on an operator's answer). */
  API_READ_DEADLINE_MS: z.coerce.number().int().min(100).default(5_000),
  API_STEP_DEADLINE_MS: z.coerce.number().int().min(100).default(30_000),
  /** The longest GET /v1/journeys/{id}?waitFor= holds a request, whatever its timeout (the fuzzer's stack shortens it). */
  JOURNEY_WAIT_MAX_MS: z.coerce.number().int().min(100).max(MAX_WAIT_MS).default(MAX_WAIT_MS),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  // --- Abuse limits (issue 12): per-tenant quotas, per-address limits where no API key is sent ---
  /** Journeys one tenant may start a minute (spot hoarding); a replayed request is not counted again. */
  TENANT_STARTS_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** Pays one tenant may ask a minute (card testing); a replayed request is not counted again. */
  TENANT_PAYS_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** Processor notifications per client address a minute: generous, a processor sends again. */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Drivers' returns from the hosted pages per client address: far above a driver's, far below a flood. */
  RETURN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** Requests without a valid API key per client address a minute (docs, codec, return pages, wrong keys). */
  PUBLIC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(300),
  // --- end abuse limits ---
  PARKFLOW_SECRET_KEY: z
    .string()
    .default(DEV_SECRET_KEY)
    .refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),

  JOURNEY_POLL_FIRST_MS: z.coerce.number().int().min(100).default(10_000),
  JOURNEY_POLL_MAX_MS: z.coerce.number().int().min(100).default(600_000),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  SANDBOX_ENABLED: z.stringbool().default(true),
  /** false: the simulators keep their state in memory only (the benchmark: each write-through save is the whole state). */
  SANDBOX_STATE_ON_DISK: z.stringbool().default(true),
  SANDBOX_HOST: z.string().default('127.0.0.1'),

  // --- Event subscriptions (issue 14) ---
  /** http and loopback/private subscriber URLs; unset: allowed in development only (a receiver on this machine). */
  SUBSCRIBER_PRIVATE_TARGETS: z.stringbool().optional(),
  SUBSCRIBER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** A subscriber whose deliveries all fail for this long is paused. */
  SUBSCRIBER_PAUSE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 60 * 60_000),

  /** Where processors and drivers' browsers reach parkflow (webhooks, return pages). */
  PUBLIC_BASE_URL: url.default('http://127.0.0.1:3000'),

  ...CODEC_FIELDS,

  // --- Worker Versioning (issue 11): each worker build is one version of a Worker Deployment ---
  /** The Worker Deployment every parkflow worker build belongs to (no dot: Temporal joins name and build id with one). */
  PARKFLOW_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[\w-]{1,200}$/, 'letters, digits, dash and underscore (no dot)')
    .default('parkflow'),
  /** This build's id (the image sets it, e.g. the git sha); unset or empty, the worker runs unversioned (npm start, tests). */
  PARKFLOW_BUILD_ID: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[\w][\w.+-]{0,199}$/, 'letters, digits and . + - _ (the git sha or image tag)')
      .optional(),
  ),
  // --- end Worker Versioning ---

  // --- Reaching a Temporal cluster (TLS, API key) and sizing the worker (issue 11) ---
  ...TEMPORAL_CONNECTION_VARIABLES,
  ...WORKER_TUNING_VARIABLES,

  // --- Observability: /metrics, the Temporal Runtime's metrics, tracing (issue 11) ---
  /** When set, GET /metrics wants `Authorization: Bearer <token>`; unset or empty, it is open (keep it off the internet). */
  METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'at least 16 characters').optional()),
  /** Where the Temporal Runtime serves its Prometheus metrics (SDK and workflow metrics; /metrics appends them); empty: off. */
  TEMPORAL_METRICS_BIND: z
    .string()
    .regex(/^$|^(?:[\w.-]+|\[[\da-fA-F:]+\]):\d{1,5}$/, 'host:port, or empty to turn them off')
    .default('127.0.0.1:9464'),
  /** A worker-only process (PARKFLOW_ROLE=worker) serves its own /metrics on this port (on API_HOST); unset: it does not. */
  WORKER_METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), port.optional()),
  /** Traces of workflows, activities and client calls through OpenTelemetry: none (default), console or otlp (OTLP/HTTP). */
  OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  /** The OTLP/HTTP collector's base URL; traces go to <endpoint>/v1/traces. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.default('http://localhost:4318'),
  OTEL_SERVICE_NAME: z.string().min(1).default('parkflow'),
  // --- end observability ---
});

/** The variables every part of parkflow reads; each row adds its own. */
export type BaseConfig = z.infer<typeof BaseConfigSchema>;

type Slice = (typeof OPERATORS)[number]['config'] | (typeof PROCESSORS)[number]['config'];
const slices = Object.assign({}, ...[...OPERATORS, ...PROCESSORS].map((row) => row.config.shape)) as UnionToIntersection<Slice['shape']>;

const ConfigSchema = BaseConfigSchema.extend(slices).superRefine((c, ctx) => {
  refineCodecConfig(c, ctx);
  if (c.NODE_ENV === 'production' && c.PARKFLOW_SECRET_KEY === DEV_SECRET_KEY) {
    ctx.addIssue({ code: 'custom', path: ['PARKFLOW_SECRET_KEY'], message: 'must be set in production' });
  }
  if (c.NODE_ENV === 'production' && c.MOBILPAY_PUBLIC_KEY_PEM === SANDBOX_NETOPIA_PUBLIC_KEY) {
    const message = "must be NETOPIA's key in production, not the simulator's";
    ctx.addIssue({ code: 'custom', path: ['MOBILPAY_PUBLIC_KEY_PEM'], message });
  }
  if (c.NODE_ENV === 'production' && c.MOBILPAY_BILLING_EMAIL === SANDBOX_MERCHANT_BILLING.email) {
    ctx.addIssue({ code: 'custom', path: ['MOBILPAY_BILLING_EMAIL'], message: "must be the merchant's own billing in production" });
  }
  if (c.NODE_ENV === 'production' && !c.ECTOR_API_KEY_FILE && c.ECTOR_API_KEY === 'sandbox-ector-api-key') {
    ctx.addIssue({ code: 'custom', path: ['ECTOR_API_KEY'], message: "must be Ector's key in production (or set ECTOR_API_KEY_FILE)" });
  }
  if (c.NODE_ENV === 'production' && c.PARKFLOW_ROLE !== 'worker' && c.API_KEYS.some((k) => k.key === 'dev-api-key')) {
    ctx.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'must not contain the development key in production' });
  }
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Reads and validates the configuration; the error names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}

/** Which subscriber URLs parkflow calls: private and loopback targets only when configured, or in development. */
export function subscriberTargetPolicy(config: Pick<Config, 'SUBSCRIBER_PRIVATE_TARGETS' | 'NODE_ENV'>): { allowPrivate: boolean } {
  return { allowPrivate: config.SUBSCRIBER_PRIVATE_TARGETS ?? config.NODE_ENV === 'development' };
}
