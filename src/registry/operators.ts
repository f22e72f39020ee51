import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { createEctorActivities } from '../activities/ector/activities';
import { EctorClient } from '../activities/ector/client';
import { SERVICE_CODES } from '../activities/ector/wire';
import { createEctorZoneActivities } from '../activities/ector/zones';
import { createLinkcActivities } from '../activities/linkc/activities';
import { LinkcClient } from '../activities/linkc/client';
import { AccountWorkflowVault } from '../activities/parkingplus/account-vault';
import { createParkingPlusActivities } from '../activities/parkingplus/activities';
import { ParkingPlusClient } from '../activities/parkingplus/client';
import { sessionBeforeReset } from '../activities/parkingplus/reset-lookup';
import { TokenSource } from '../activities/tokens';
import { SecretBox } from '../domain/sealed';
import { ACCOUNT_ID } from '../domain/tenants';
import { createEctorSandbox } from '../sandbox/ector/app';
import { createLinkcSandbox } from '../sandbox/linkc/app';
import { createParkingPlusSandbox } from '../sandbox/parkingplus/app';
import { ectorJourney, linkcJourney, parkingPlusJourney } from '../workflows';
import { plate, port, url } from './fields';
import { operatorRow, type JourneyContext, type RowConfig, sandboxDataDir, type UnionToIntersection } from './rows';

// One row per parking operator. Adding one: its activities, simulator and workflow in their own
// folders, and its row here.

// Parking+Plus (Romania): a session opened on the driver's linked account, paid on its own page.

export const ParkingPlusJourneyRequest = z
  .object({
    provider: z.literal('parkingplus'),
    accountId: z.string().regex(ACCOUNT_ID, 'an accountId returned by POST /v1/accounts'),
    securedParkingId: z.number().int().positive().meta({ example: 187 }),
    plate: plate.optional(),
  })
  .strict()
  .meta({ id: 'ParkingPlusJourneyRequest' });

const parkingPlusConfig = z.object({
  PARKINGPLUS_BASE_URL: url.default('http://127.0.0.1:4010'),
  PARKINGPLUS_CLIENT_APP_ID: z.string().min(1).default('parkflow-sandbox-app'),
  PARKINGPLUS_CLIENT_SECRET: z.string().min(1).default('parkflow-sandbox-secret'),
  SANDBOX_PARKINGPLUS_PORT: port.default(4010),
  SANDBOX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().positive().default(7200),
});

export function parkingPlusClient(config: RowConfig<typeof parkingPlusConfig>): ParkingPlusClient {
  return new ParkingPlusClient({
    baseUrl: config.PARKINGPLUS_BASE_URL,
    clientAppId: config.PARKINGPLUS_CLIENT_APP_ID,
    clientSecret: config.PARKINGPLUS_CLIENT_SECRET,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
}

export const PARKINGPLUS = operatorRow({
  provider: 'parkingplus',
  request: ParkingPlusJourneyRequest,
  example: { provider: 'parkingplus', accountId: 'account-parkingplus-dev-4f1c2a9b7d3e5f60a1b2', securedParkingId: 187, plate: 'B123XYZ' },
  workflow: parkingPlusJourney,
  steps: ['enter', 'finalize', 'pay', 'exit', 'cancel'],
  input: (request, { requestHash, polling }) => ({
    accountId: request.accountId,
    securedParkingId: request.securedParkingId,
    plate: request.plate,
    requestHash,
    polling,
  }),
  accountId: (request) => request.accountId,
  plate: (request) => request.plate,
  config: parkingPlusConfig,
  activities(config, { temporal }) {
    const box = new SecretBox(config.PARKFLOW_SECRET_KEY);
    // One token source per account and process: concurrent activities share one refresh.
    const tokenSources = new Map<string, TokenSource>();
    const tokensFor = (accountId: string) => {
      let source = tokenSources.get(accountId);
      if (!source) tokenSources.set(accountId, (source = new TokenSource(new AccountWorkflowVault(temporal, accountId, box))));
      return source;
    };
    const sessionBefore = (execution: { workflowId: string; runId: string }) => sessionBeforeReset(temporal, execution);
    return createParkingPlusActivities({
      client: parkingPlusClient(config),
      tokensFor,
      box,
      sessionBeforeReset: sessionBefore,
      publicBaseUrl: config.PUBLIC_BASE_URL,
    });
  },
  simulator: {
    name: 'Parking+Plus',
    port: (config) => config.SANDBOX_PARKINGPLUS_PORT,
    create: (config) =>
      createParkingPlusSandbox({
        tokenLifetimeSeconds: config.SANDBOX_TOKEN_LIFETIME_SECONDS,
        clientAppId: config.PARKINGPLUS_CLIENT_APP_ID,
        clientSecret: config.PARKINGPLUS_CLIENT_SECRET,
        dataDir: sandboxDataDir(config),
      }).app,
  },
  fieldNames: {},
});

// LinkC (Brazil): a stay looked up by ticket or plate, paid at exit through our own processors.

export const LinkcJourneyRequest = z
  .object({
    provider: z.literal('linkc'),
    localizador: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z]{1,32}$/, 'the ticket number')
      .optional()
      .meta({ example: '1234567890' }),
    placa: plate.optional(),
    parceiroId: z.number().int().positive().optional(),
  })
  .strict()
  .refine((r) => (r.localizador === undefined) !== (r.placa === undefined), {
    message: 'give either localizador (the ticket) or placa (the plate)',
    path: ['localizador'],
  })
  .meta({
    id: 'LinkcJourneyRequest',
    description: 'Give either localizador (the ticket) or placa (the plate), not both.',
    oneOf: [{ required: ['localizador'] }, { required: ['placa'] }],
  });

const linkcConfig = z.object({
  LINKC_BASE_URL: url.default('http://127.0.0.1:4040'),
  LINKC_USUARIO: z.string().min(1).default('parkflow'),
  LINKC_SENHA: z.string().min(1).default('sandbox-linkc-secret'),
  SANDBOX_LINKC_PORT: port.default(4040),
  SANDBOX_LINKC_TRANSACTION_VALIDITY_SECONDS: z.coerce.number().int().positive().default(300),
});

export function linkcClient(config: RowConfig<typeof linkcConfig>): LinkcClient {
  return new LinkcClient({
    baseUrl: config.LINKC_BASE_URL,
    usuario: config.LINKC_USUARIO,
    senha: config.LINKC_SENHA,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
}

export const LINKC = operatorRow({
  provider: 'linkc',
  request: LinkcJourneyRequest,
  example: { provider: 'linkc', localizador: '1234567890' },
  workflow: linkcJourney,
  steps: ['pay', 'exit', 'cancel'],
  input: (request, { requestHash, polling, processors }) => ({
    lookup: { localizador: request.localizador, placa: request.placa, parceiroId: request.parceiroId },
    requestHash,
    polling,
    processors,
  }),
  plate: (request) => request.placa,
  config: linkcConfig,
  activities: (config) => createLinkcActivities({ client: linkcClient(config) }),
  simulator: {
    name: 'LinkC',
    port: (config) => config.SANDBOX_LINKC_PORT,
    create: (config) =>
      createLinkcSandbox({
        user: { usuario: config.LINKC_USUARIO, senha: config.LINKC_SENHA },
        transactionValiditySeconds: config.SANDBOX_LINKC_TRANSACTION_VALIDITY_SECONDS,
        dataDir: sandboxDataDir(config),
      }).app,
  },
  fieldNames: { parceiro_id: 'parceiroId' },
});

// Ector (France): a prepaid airport booking, paid through our own processors within 60 minutes of
// its creation, then marked paid at Ector.

/**
 * ISO 8601: an instant (with an offset or Z), or a wall-clock time in the zone's own time zone.
 * [0-9], not \d, and no flags: fuzzers read the published pattern with Unicode digits and without flags.
 */
const ZONED_DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?$/;
export const zonedDateTime = z.string().trim().regex(ZONED_DATE_TIME, 'an ISO 8601 datetime');

export const EctorJourneyRequest = z
  .object({
    provider: z.literal('ector'),
    zoneId: z.string().trim().min(1).max(64).meta({ example: 'CDG', description: 'A zone id from GET /v1/ector/zones.' }),
    startAt: zonedDateTime.meta({
      example: '2027-07-23T18:05:00+02:00',
      description: "With an offset or Z: that instant. Without: the zone's local time (a time the clocks skip is refused).",
    }),
    endAt: zonedDateTime.meta({ example: '2027-07-30T09:00:00+02:00' }),
    services: z
      .array(z.enum(SERVICE_CODES))
      .max(SERVICE_CODES.length)
      .refine((codes) => new Set(codes).size === codes.length, 'each service once')
      .default([]),
    contact: z
      .object({
        firstName: z.string().trim().min(1).max(100),
        lastName: z.string().trim().min(1).max(100),
        email: z.email().meta({ pattern: z.regexes.email.source, example: 'driver@example.com' }),
        phone: z.string().trim().min(1).max(32).meta({ example: '+33612345678', description: 'E.164, or a French national number.' }),
      })
      .strict(),
    car: z
      .object({
        plate,
        brand: z.string().trim().min(1).max(50).optional(),
        model: z.string().trim().min(1).max(50).optional(),
        color: z.string().trim().min(1).max(30).optional(),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'EctorJourneyRequest' });

const ectorConfig = z.object({
  ECTOR_BASE_URL: url.default('http://127.0.0.1:4050'),
  ECTOR_API_KEY: z.string().min(1).default('sandbox-ector-api-key'),
  /** A file holding the key (a mounted secret): read at every call, so a rotated key needs no restart. */
  ECTOR_API_KEY_FILE: z.string().min(1).optional(),
  /** Ector's payment window from a booking's creation (seed: 60 minutes). */
  ECTOR_PAYMENT_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  SANDBOX_ECTOR_PORT: port.default(4050),
  /** The simulator's window; the journey's own when unset. */
  SANDBOX_ECTOR_PAYMENT_WINDOW_SECONDS: z.coerce.number().int().positive().optional(),
});

export function ectorClient(config: RowConfig<typeof ectorConfig>): EctorClient {
  const file = config.ECTOR_API_KEY_FILE;
  // Read at every call, without blocking: a rotated secret file is taken at once.
  const apiKey = async () => (file ? (await readFile(file, 'utf8')).trim() : config.ECTOR_API_KEY);
  return new EctorClient({ baseUrl: config.ECTOR_BASE_URL, apiKey, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
}

export const ECTOR = operatorRow({
  provider: 'ector',
  request: EctorJourneyRequest,
  example: {
    provider: 'ector',
    zoneId: 'CDG',
    startAt: '2027-07-23T18:05:00+02:00',
    endAt: '2027-07-30T09:00:00+02:00',
    services: ['covered_parking', 'cancellation_insurance'],
    contact: { firstName: 'Camille', lastName: 'Martin', email: 'camille@example.com', phone: '+33612345678' },
    car: { plate: 'AB-123-CD', brand: 'Renault', model: 'Clio' },
  },
  workflow: ectorJourney,
  steps: ['pay', 'cancel'],
  input: (request, { requestHash, polling, processors, timeZone }, config) => ({
    booking: {
      zoneId: request.zoneId,
      timeZone: timeZone ?? 'Europe/Paris',
      startAt: request.startAt,
      endAt: request.endAt,
      services: request.services,
      contact: request.contact,
      car: request.car,
    },
    requestHash,
    polling,
    processors,
    paymentWindowMs: config.ECTOR_PAYMENT_WINDOW_SECONDS * 1000,
  }),
  plate: (request) => request.car.plate,
  config: ectorConfig,
  activities: (config, { temporal }) => {
    const client = ectorClient(config);
    return { ...createEctorActivities({ client }), ...createEctorZoneActivities({ client, temporal }) };
  },
  simulator: {
    name: 'Ector',
    port: (config) => config.SANDBOX_ECTOR_PORT,
    create: (config) =>
      createEctorSandbox({
        apiKey: config.ECTOR_API_KEY_FILE ? readFileSync(config.ECTOR_API_KEY_FILE, 'utf8').trim() : config.ECTOR_API_KEY,
        paymentWindowSeconds: config.SANDBOX_ECTOR_PAYMENT_WINDOW_SECONDS ?? config.ECTOR_PAYMENT_WINDOW_SECONDS,
        dataDir: sandboxDataDir(config),
      }).app,
  },
  fieldNames: { zone_id: 'zoneId', start_at: 'startAt', end_at: 'endAt' },
});

export const OPERATORS = [PARKINGPLUS, LINKC, ECTOR] as const;

type Operator = (typeof OPERATORS)[number];
export type JourneyRequest = z.output<Operator['request']>;
export type OperatorActivities = UnionToIntersection<ReturnType<Operator['activities']>>;

/** Every journey workflow type, for listing through visibility. */
export const JOURNEY_WORKFLOW_TYPES = OPERATORS.map((row) => row.workflow.name);

export interface JourneyStart {
  workflowType: string;
  input: ReturnType<Operator['input']>;
  /** The linked account the journey needs, if any. */
  accountId?: string;
  /** The vehicle's plate, if the request names one. */
  plate?: string;
}

/** The workflow a journey request starts, and its input. */
export function journeyStart(request: JourneyRequest, ctx: JourneyContext, config: RowConfig<z.ZodObject>): JourneyStart {
  const row = OPERATORS.find((r) => r.provider === request.provider)!;
  // The row is the request's own (same provider): its builders take this request.
  return {
    workflowType: row.workflow.name,
    input: row.input(request as never, ctx, config as never),
    accountId: row.accountId?.(request as never),
    plate: row.plate?.(request as never),
  };
}
