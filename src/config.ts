import { z } from 'zod';
import { SANDBOX_NETOPIA_PUBLIC_KEY } from './sandbox/mobilpay/sandbox-keys';

// One validated configuration, read from the environment. Every default is the embedded
// development setup (`npm start`); production overrides it variable by variable.

const port = z.coerce.number().int().min(0).max(65535);
const url = z.url();
// Development only: a fixed, public key so `npm start` needs no set-up. Production must set its own.
const DEV_SECRET_KEY = 'cGFya2Zsb3ctZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGU=';

const ConfigSchema = z
  .object({
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
    API_KEYS: z
      .string()
      .default('dev-api-key')
      .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
      .pipe(z.array(z.string().min(8, 'each API key needs at least 8 characters')).min(1)),
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
    SANDBOX_PARKINGPLUS_PORT: port.default(4010),
    SANDBOX_MOBILPAY_PORT: port.default(4020),
    SANDBOX_EPX_PORT: port.default(4030),
    SANDBOX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().positive().default(7200),

    /** Where processors and drivers' browsers reach parkflow (webhooks, return pages). */
    PUBLIC_BASE_URL: url.default('http://127.0.0.1:3000'),

    LINKC_BASE_URL: url.default('http://127.0.0.1:4040'),
    LINKC_USUARIO: z.string().min(1).default('parkflow'),
    LINKC_SENHA: z.string().min(1).default('sandbox-linkc-secret'),
    SANDBOX_LINKC_PORT: port.default(4040),
    SANDBOX_LINKC_TRANSACTION_VALIDITY_SECONDS: z.coerce.number().int().positive().default(300),

    MOBILPAY_BASE_URL: url.default('http://127.0.0.1:4020'),
    MOBILPAY_API_KEY: z.string().min(1).default('sandbox-mobilpay-api-key'),
    MOBILPAY_POS_SIGNATURE: z.string().min(1).default('XXXX-XXXX-XXXX-XXXX-XXXX'),
    /** NETOPIA's public key (PEM) that signs IPNs; the default is the simulator's. */
    MOBILPAY_PUBLIC_KEY_PEM: z.string().includes('PUBLIC KEY', { message: 'must be a PEM public key' }).default(SANDBOX_NETOPIA_PUBLIC_KEY),

    EPX_BASE_URL: url.default('http://127.0.0.1:4030'),
    EPX_MAC: z.string().min(1).default('sandbox-epx-mac-key'),
    EPX_CUST_NBR: z.string().min(1).default('9001'),
    EPX_MERCH_NBR: z.string().min(1).default('900300'),
    EPX_DBA_NBR: z.string().min(1).default('2'),
    EPX_TERMINAL_NBR: z.string().min(1).default('77'),

    PARKINGPLUS_BASE_URL: url.default('http://127.0.0.1:4010'),
    PARKINGPLUS_CLIENT_APP_ID: z.string().min(1).default('parkflow-sandbox-app'),
    PARKINGPLUS_CLIENT_SECRET: z.string().min(1).default('parkflow-sandbox-secret'),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && c.PARKFLOW_SECRET_KEY === DEV_SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['PARKFLOW_SECRET_KEY'], message: 'must be set in production' });
    }
    if (c.NODE_ENV === 'production' && c.MOBILPAY_PUBLIC_KEY_PEM === SANDBOX_NETOPIA_PUBLIC_KEY) {
      ctx.addIssue({ code: 'custom', path: ['MOBILPAY_PUBLIC_KEY_PEM'], message: "must be NETOPIA's key in production, not the simulator's" });
    }
    if (c.NODE_ENV === 'production' && c.PARKFLOW_ROLE !== 'worker' && c.API_KEYS.includes('dev-api-key')) {
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
