import { z } from 'zod';
import { PAYMENT_METHODS } from '../domain/payment-methods';
import { plate } from '../registry/fields';
import { OPERATORS } from '../registry/operators';
import { ACCOUNT_ID, JOURNEY_ID } from '../domain/tenants';
import { JOURNEY_STATES, MAX_WAIT_MS, PROVIDERS, type JourneyStep, type JourneyView, type PaymentView } from '../workflows/messages';

// The HTTP contract's single source of truth: requests are validated with these schemas, answers
// are built through them, and /openapi.json is generated from them.

// One body per operator: each registry row brings its own schema.
type OperatorRequest = (typeof OPERATORS)[number]['request'];
const operatorRequests = OPERATORS.map((row) => row.request) as [OperatorRequest, ...OperatorRequest[]];
export const CreateJourneyRequest = z.discriminatedUnion('provider', operatorRequests).meta({ id: 'CreateJourneyRequest' });
export type CreateJourneyRequest = z.infer<typeof CreateJourneyRequest>;

export const CreateAccountRequest = z
  .discriminatedUnion('grant', [
    z
      .object({
        provider: z.literal('parkingplus'),
        grant: z.literal('password'),
        // The pattern the API checks, published: "format: email" alone allows more than it takes.
        username: z.email().meta({ pattern: z.regexes.email.source, example: 'driver@example.com' }),
        password: z.string().min(1),
      })
      .strict(),
    z.object({ provider: z.literal('parkingplus'), grant: z.literal('facebook'), facebookAccessToken: z.string().min(1) }).strict(),
  ])
  .meta({ id: 'CreateAccountRequest', description: 'The password is used once to obtain tokens and never stored.' });
export type CreateAccountRequest = z.infer<typeof CreateAccountRequest>;

export const PayRequest = z
  .object({ method: z.enum(PAYMENT_METHODS).optional() })
  .strict()
  .meta({ id: 'PayRequest' });
export const CancelRequest = z
  .object({ reason: z.string().max(500).optional() })
  .strict()
  .meta({ id: 'CancelRequest' });
export const EmptyRequest = z.object({}).strict();

export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .meta({
    description: 'Printable ASCII without spaces, 1–255 characters (a UUID works).',
    example: '3f6c1b1e-8a7d-4c5e-9f2a-1b2c3d4e5f60',
  });
export const JourneyId = z
  .string()
  .regex(JOURNEY_ID)
  .meta({ description: 'journey-<tenant>-<20 hex>', example: 'journey-dev-4f1c2a9b7d3e5f60a1b2' });
export const AccountId = z
  .string()
  .regex(ACCOUNT_ID)
  .meta({ description: 'account-parkingplus-<tenant>-<20 hex>', example: 'account-parkingplus-dev-4f1c2a9b7d3e5f60a1b2' });

export const ListJourneysQuery = z
  .object({
    state: z.enum(JOURNEY_STATES).optional(),
    provider: z.enum(PROVIDERS).optional(),
    plate: plate.optional().meta({ description: 'Journeys of this vehicle (dashes and case do not matter).', example: 'B123XYZ' }),
    pageSize: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'At most this many journeys, newest first.' }),
  })
  .strict();

/** The longest a GET with waitFor holds, in seconds (the workflow's own cap). */
export const MAX_WAIT_SECONDS = MAX_WAIT_MS / 1000;
export const GetJourneyQuery = z
  .object({
    waitFor: z.enum(JOURNEY_STATES).optional().meta({
      description:
        'Hold the answer until the journey reaches this state, or has been through it, or has ended; at once when it already has.',
    }),
    timeout: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .meta({ description: `With waitFor only: the longest to hold, in seconds (default ${MAX_WAIT_SECONDS}).` }),
  })
  .strict()
  .refine((query) => query.timeout === undefined || query.waitFor !== undefined, {
    message: 'timeout is only taken with waitFor',
    path: ['timeout'],
  });

export const Money = z
  .object({
    value: z
      .string()
      .regex(/^\d+\.\d{2}$/)
      .meta({ example: '10.00', description: 'A decimal string, never a float.' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .meta({ example: 'RON' }),
  })
  .meta({ id: 'Money' });
const SmartKey = z
  .object({
    kind: z.enum(['entrance', 'exit']),
    accessCommand: z.string().optional().meta({
      description: 'The command that opens the barrier; absent when the parking is online-only (isOnline), where it cannot be used.',
    }),
    validFrom: z.iso.datetime(),
    validUntil: z.iso.datetime(),
    remainingTries: z.number().int(),
    isOnline: z.boolean().meta({ description: 'The parking is exclusively online (Parking+Plus): its access command cannot be used.' }),
    accessPoints: z.array(z.string()),
  })
  .meta({ id: 'SmartKey' });
export const Payment = z
  .object({
    paymentId: z.string(),
    method: z.enum(['parkingplus', 'mobilpay', 'epx']),
    redirectUrl: z.url(),
    status: z.enum(['pending', 'captured', 'declined', 'expired', 'refunded']),
    reason: z.string().optional(),
    processorRef: z.string().optional().meta({ description: "The processor's transaction id once money moved." }),
    amount: Money.optional(),
  })
  .meta({ id: 'Payment' });

export const Journey = z
  .object({
    id: z.string(),
    provider: z.enum(PROVIDERS),
    state: z.enum(JOURNEY_STATES),
    plate: z.string().optional(),
    amount: Money.optional(),
    deadlines: z.object({
      paymentDueAt: z.iso.datetime().optional(),
      transactionValidUntil: z.iso.datetime().optional(),
      exitBy: z.iso.datetime().optional(),
    }),
    payment: Payment.optional(),
    keys: z.object({ entrance: SmartKey.optional(), exit: SmartKey.optional() }).optional(),
    upstream: z.record(z.string(), z.union([z.string(), z.number()])),
    timeline: z.array(z.object({ state: z.enum(JOURNEY_STATES), at: z.iso.datetime() })),
    failure: z.object({ type: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'Journey' });

export const JourneySummary = z
  .object({
    id: z.string(),
    provider: z.enum(PROVIDERS).optional(),
    state: z.enum(JOURNEY_STATES).optional(),
    plate: z.string().optional(),
    reference: z.string().optional(),
    deadline: z.iso.datetime().optional().meta({ description: 'The next deadline to watch (payment due, transaction validity, exit by).' }),
    startedAt: z.iso.datetime(),
  })
  .meta({ id: 'JourneySummary' });
export const JourneyList = z.object({ journeys: z.array(JourneySummary) }).meta({ id: 'JourneyList' });

export const RefreshAnswer = z
  .object({
    id: z.string(),
    refresh: z.enum(['requested', 'coalesced']).meta({
      description: 'requested: the journey looks now; coalesced: a look was asked for less than a second ago, it covers this one.',
    }),
  })
  .meta({ id: 'RefreshAnswer' });

export const Account = z
  .object({
    accountId: z.string(),
    provider: z.literal('parkingplus'),
    status: z.enum(['linked', 'needs_relink']),
    linkedAt: z.iso.datetime(),
    refreshedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Account' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' });

/** Each step's request body and answer: the routes validate and answer with them, the spec documents them. */
export const STEP_SCHEMAS = {
  enter: { body: EmptyRequest, answer: Journey },
  finalize: { body: EmptyRequest, answer: Journey },
  pay: { body: PayRequest, answer: Payment },
  exit: { body: EmptyRequest, answer: Journey },
  cancel: { body: CancelRequest, answer: Journey },
} satisfies Record<JourneyStep, { body: z.ZodType; answer: z.ZodType }>;

// The workflows' views must fit the answers' schemas (a compile-time check).
export const viewsFitTheContract = (journey: JourneyView, payment: PaymentView): [z.input<typeof Journey>, z.input<typeof Payment>] => [
  journey,
  payment,
];
