import { z } from 'zod';
import { EpxClient } from '../activities/epx/client';
import { MobilPayClient, SANDBOX_MERCHANT_BILLING } from '../activities/mobilpay/client';
import type { Config } from '../config';
import type { ProcessorTerms } from '../domain/payment-methods';
import { createEpxSandbox } from '../sandbox/epx/app';
import { createMobilPaySandbox } from '../sandbox/mobilpay/app';
import { SANDBOX_NETOPIA_PUBLIC_KEY } from '../sandbox/mobilpay/sandbox-keys';
import { currencyCode, port, url } from './fields';
import { processorRow, type RowConfig, sandboxDataDir } from './rows';

// One row per card processor parkflow charges through itself (the method's name is also listed
// in src/domain/payment-methods.ts, which workflow code reads).

const mobilPayConfig = z.object({
  MOBILPAY_BASE_URL: url.default('http://127.0.0.1:4020'),
  MOBILPAY_API_KEY: z.string().min(1).default('sandbox-mobilpay-api-key'),
  MOBILPAY_POS_SIGNATURE: z.string().min(1).default('XXXX-XXXX-XXXX-XXXX-XXXX'),
  /** NETOPIA's public key (PEM) that signs IPNs; the default is the simulator's. */
  MOBILPAY_PUBLIC_KEY_PEM: z.string().includes('PUBLIC KEY', { message: 'must be a PEM public key' }).default(SANDBOX_NETOPIA_PUBLIC_KEY),
  /** The default is the simulator's, which takes every journey's currency. */
  MOBILPAY_CURRENCIES: z
    .string()
    .default('RON,EUR,BRL')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    )
    .pipe(z.array(currencyCode).min(1, 'needs at least one currency')),
  SANDBOX_MOBILPAY_PORT: port.default(4020),
  // The merchant default billing every start carries (NETOPIA requires one; the driver's identity
  // is typed on NETOPIA's hosted page, parkflow does not hold it). Defaults: the sandbox's.
  MOBILPAY_BILLING_EMAIL: z.email().default(SANDBOX_MERCHANT_BILLING.email),
  MOBILPAY_BILLING_PHONE: z.string().default(SANDBOX_MERCHANT_BILLING.phone ?? ''),
  MOBILPAY_BILLING_FIRST_NAME: z.string().trim().min(1).default(SANDBOX_MERCHANT_BILLING.firstName),
  MOBILPAY_BILLING_LAST_NAME: z.string().trim().min(1).default(SANDBOX_MERCHANT_BILLING.lastName),
  MOBILPAY_BILLING_CITY: z.string().trim().min(1).default(SANDBOX_MERCHANT_BILLING.city),
  /** ISO 3166 numeric (642 = Romania), as NETOPIA takes it. */
  MOBILPAY_BILLING_COUNTRY: z.coerce
    .number()
    .int()
    .min(1, 'an ISO 3166 numeric country code such as 642')
    .max(999, 'an ISO 3166 numeric country code such as 642')
    .default(SANDBOX_MERCHANT_BILLING.country),
});

const merchantBilling = (config: RowConfig<typeof mobilPayConfig>) => ({
  email: config.MOBILPAY_BILLING_EMAIL,
  phone: config.MOBILPAY_BILLING_PHONE || undefined,
  firstName: config.MOBILPAY_BILLING_FIRST_NAME,
  lastName: config.MOBILPAY_BILLING_LAST_NAME,
  city: config.MOBILPAY_BILLING_CITY,
  country: config.MOBILPAY_BILLING_COUNTRY,
});

export const MOBILPAY = processorRow({
  method: 'mobilpay',
  config: mobilPayConfig,
  currencies: (config) => config.MOBILPAY_CURRENCIES,
  client: (config) =>
    new MobilPayClient({
      baseUrl: config.MOBILPAY_BASE_URL,
      apiKey: config.MOBILPAY_API_KEY,
      posSignature: config.MOBILPAY_POS_SIGNATURE,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      billing: merchantBilling(config),
    }),
  simulator: {
    name: 'MobilPay',
    port: (config) => config.SANDBOX_MOBILPAY_PORT,
    create: (config) =>
      createMobilPaySandbox({
        apiKey: config.MOBILPAY_API_KEY,
        posSignature: config.MOBILPAY_POS_SIGNATURE,
        dataDir: sandboxDataDir(config),
      }).app,
  },
});

// EPX's three hosts (sandbox keyexch.epxuap.com, services.epxuap.com/browserpost/,
// secure.epxuap.com); the defaults are the simulator's, one port with a path per host.
const epxConfig = z.object({
  EPX_KEY_EXCHANGE_URL: url.default('http://127.0.0.1:4030/keyexchange'),
  EPX_BROWSER_POST_URL: url.default('http://127.0.0.1:4030/browserpost'),
  /** Refunds, and the status look-up (an assumed endpoint: nothing public describes one). */
  EPX_SERVER_POST_URL: url.default('http://127.0.0.1:4030/serverpost'),
  EPX_MAC: z.string().min(1).default('sandbox-epx-mac-key'),
  EPX_CUST_NBR: z.string().min(1).default('9001'),
  EPX_MERCH_NBR: z.string().min(1).default('900300'),
  EPX_DBA_NBR: z.string().min(1).default('2'),
  EPX_TERMINAL_NBR: z.string().min(1).default('77'),
  /** EPX's key exchange carries no currency: the merchant account's applies. */
  EPX_CURRENCY: currencyCode.default('USD'),
  SANDBOX_EPX_PORT: port.default(4030),
});

const epxFourPartKey = (config: RowConfig<typeof epxConfig>) => ({
  CUST_NBR: config.EPX_CUST_NBR,
  MERCH_NBR: config.EPX_MERCH_NBR,
  DBA_NBR: config.EPX_DBA_NBR,
  TERMINAL_NBR: config.EPX_TERMINAL_NBR,
});

export const EPX = processorRow({
  method: 'epx',
  config: epxConfig,
  currencies: (config) => [config.EPX_CURRENCY],
  client: (config) =>
    new EpxClient({
      keyExchangeUrl: config.EPX_KEY_EXCHANGE_URL,
      browserPostUrl: config.EPX_BROWSER_POST_URL,
      serverPostUrl: config.EPX_SERVER_POST_URL,
      mac: config.EPX_MAC,
      fourPartKey: epxFourPartKey(config),
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    }),
  simulator: {
    name: 'EPX',
    port: (config) => config.SANDBOX_EPX_PORT,
    create: (config) =>
      createEpxSandbox({
        mac: config.EPX_MAC,
        fourPartKey: epxFourPartKey(config),
        currency: config.EPX_CURRENCY,
        dataDir: sandboxDataDir(config),
      }).app,
  },
});

export const PROCESSORS = [MOBILPAY, EPX] as const;

type Processor = (typeof PROCESSORS)[number];
export type ProcessorClients = { [R in Processor as R['method']]: ReturnType<R['client']> };

/** Per processor, the currencies it takes: what the journey's pay step checks a method against. */
export function processorTerms(config: Config): ProcessorTerms {
  return Object.fromEntries(PROCESSORS.map((row) => [row.method, { currencies: row.currencies(config) }])) as ProcessorTerms;
}

export function processorClients(config: Config): ProcessorClients {
  return Object.fromEntries(PROCESSORS.map((row) => [row.method, row.client(config)])) as ProcessorClients;
}
