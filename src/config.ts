import { z } from 'zod';
import { OPERATORS } from './registry/operators';
import { PROCESSORS } from './registry/processors';
import { port, url } from './registry/fields';
import { type UnionToIntersection } from './registry/rows';
import { SANDBOX_MERCHANT_BILLING } from './activities/mobilpay/client';
import { SANDBOX_NETOPIA_PUBLIC_KEY } from './sandbox/mobilpay/sandbox-keys';

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
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  PARKFLOW_SECRET_KEY: z
    .string()
    .default(DEV_SECRET_KEY)
    .refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),

  JOURNEY_POLL_FIRST_MS: z.coerce.number().int().min(100).default(10_000),
  JOURNEY_POLL_MAX_MS: z.coerce.number().int().min(100).default(600_000),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  SANDBOX_ENABLED: z.stringbool().default(true),
  SANDBOX_HOST: z.string().default('127.0.0.1'),

  /** Where processors and drivers' browsers reach parkflow (webhooks, return pages). */
  PUBLIC_BASE_URL: url.default('http://127.0.0.1:3000'),
});

/** The variables every part of parkflow reads; each row adds its own. */
export type BaseConfig = z.infer<typeof BaseConfigSchema>;

type Slice = (typeof OPERATORS)[number]['config'] | (typeof PROCESSORS)[number]['config'];
const slices = Object.assign({}, ...[...OPERATORS, ...PROCESSORS].map((row) => row.config.shape)) as UnionToIntersection<Slice['shape']>;

const ConfigSchema = BaseConfigSchema.extend(slices).superRefine((c, ctx) => {
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
