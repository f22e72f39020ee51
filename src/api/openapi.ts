import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OPERATORS } from '../registry/operators';
import { JOURNEY_STEPS, type JourneyStep } from '../workflows/messages';
import { WAIT_HEADER } from './journey-wait';
import { EctorQuote, EctorQuoteQuery, EctorZoneList } from './ector-schemas';
import {
  Account,
  AccountId,
  CreateAccountRequest,
  CreateJourneyRequest,
  GetJourneyQuery,
  IdempotencyKey,
  Journey,
  JourneyId,
  JourneyList,
  ListJourneysQuery,
  Problem,
  RefreshAnswer,
  STEP_SCHEMAS,
} from './schemas';
import {
  CreateSubscriptionRequest,
  JourneyEvent,
  ReconciliationEvent,
  Subscription,
  SubscriptionId,
  SubscriptionList,
  SubscriptionWithSecret,
} from './subscription-schemas';

// /openapi.json, generated from the same Zod schemas that validate requests and build answers.
// Every route the API serves is here, with every status it can answer.

const PROBLEMS: Record<number, string> = {
  400: 'Invalid request: the problem names each bad field',
  401: 'Missing or unknown X-API-Key',
  404: 'No such journey or account for this tenant (another tenant’s is unknown too)',
  409:
    'Not allowed now: wrong state, a finished journey, a step this operator does not take, ' +
    'or a request with this Idempotency-Key in flight',
  413: 'Body larger than 64 kB',
  415: 'Body not sent as application/json',
  422: 'Understood but refused (by us or by the operator); an Idempotency-Key reused with another body',
  429: 'Too many requests: see Retry-After',
  503:
    'Temporal, a worker or the operator did not answer in time: nothing was lost, ' +
    'retry after Retry-After (with the same Idempotency-Key)',
};
const retryAfter = z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait before retrying.', example: '2' }) });

function problems(...statuses: number[]): Record<number, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: PROBLEMS[status]!,
        ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
        content: { 'application/problem+json': { schema: Problem } },
      },
    ]),
  );
}

const json = (schema: z.ZodType, description: string, extra: Partial<ResponseConfig> = {}): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
  ...extra,
});
const html = (description: string): ResponseConfig => ({ description, content: { 'text/html': { schema: z.string() } } });
const waitOutcome = z.object({
  [WAIT_HEADER]: z.enum(['reached', 'timeout']).optional().meta({
    description: 'With waitFor only: reached (the state, or the journey has ended) or timeout (the journey as it is).',
  }),
});
const location = z.object({ Location: z.string().meta({ description: 'Where the created resource is read.' }) });

const journeyPath = z.object({ id: JourneyId });
const stepKey = z.object({
  'Idempotency-Key': IdempotencyKey.optional().meta({
    description: 'Optional: a retried step with the same key answers with the first answer instead of running again.',
  }),
});
const STEP_DOCS: Record<JourneyStep, { summary: string; description: string }> = {
  enter: { summary: 'The car is in: the journey is active', description: '' },
  finalize: { summary: 'Finalize: the amount, the pay link and the exit key', description: '' },
  pay: {
    summary: 'Pay: the redirect URL of the hosted payment page',
    description:
      'One attempt is open at a time: a pay while one is opening or pending answers with it; another method meanwhile is 409. ' +
      "A processor that cannot take the journey's currency is 422 (currency-not-accepted) before any order is opened.",
  },
  exit: { summary: 'Exit: the car leaves', description: '' },
  cancel: {
    summary: 'Cancel: allowed while the driver can still be charged nothing',
    description:
      'Parking+Plus: entering, active, or awaiting_payment with nothing paid. LinkC: awaiting_payment with no payment open or made.',
  },
};

export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  const security = [{ ApiKey: [] }];
  const stepLinks = Object.fromEntries(
    JOURNEY_STEPS.map((step) => [step, { operationId: `${step}Journey`, parameters: { id: '$response.body#/id' } }]),
  );

  registry.registerPath({
    method: 'post',
    path: '/v1/accounts',
    operationId: 'linkAccount',
    summary: 'Link an upstream account (Parking+Plus password or Facebook grant)',
    description: "Linking the same driver again re-links the same account. Accounts belong to the caller's tenant.",
    security,
    request: { body: { required: true, content: { 'application/json': { schema: CreateAccountRequest } } } },
    responses: {
      201: json(Account, 'The linked account', {
        headers: location,
        links: {
          getAccount: { operationId: 'getAccount', parameters: { id: '$response.body#/accountId' } },
          startJourney: {
            operationId: 'startJourney',
            requestBody: { provider: 'parkingplus', accountId: '$response.body#/accountId', securedParkingId: 187 },
          },
        },
      }),
      ...problems(400, 401, 413, 415, 422, 429, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}',
    operationId: 'getAccount',
    summary: 'A linked account: linked or needs_relink',
    security,
    request: { params: z.object({ id: AccountId }) },
    responses: { 200: json(Account, 'The account'), ...problems(401, 404, 429, 503) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/journeys',
    operationId: 'startJourney',
    summary: 'Start a journey and get its first step (Update-with-Start)',
    description:
      'The same Idempotency-Key and body return the same journey and answer; another body 422; a request with this key in flight 409. ' +
      'A journey whose first step failed is started afresh when the same key is sent again. ' +
      `Bodies per operator: ${OPERATORS.map((row) => row.provider).join(', ')}; LinkC takes either localizador or placa.`,
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKey }),
      body: { required: true, content: { 'application/json': { schema: CreateJourneyRequest } } },
    },
    responses: {
      201: json(Journey, 'The journey after its first step', {
        headers: location,
        links: { getJourney: { operationId: 'getJourney', parameters: { id: '$response.body#/id' } }, ...stepLinks },
      }),
      ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/journeys',
    operationId: 'listJourneys',
    summary: "The tenant's journeys (Temporal visibility; a new journey shows within a second or so)",
    security,
    request: { query: ListJourneysQuery },
    responses: { 200: json(JourneyList, 'Journeys, newest first'), ...problems(400, 401, 429, 503) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/journeys/{id}',
    operationId: 'getJourney',
    summary: 'A journey: state, amounts, deadlines, keys, payment, timeline',
    description:
      'With waitFor, a long poll: the answer comes when the journey reaches that state (or has ended), at once when it already has, ' +
      `or at the timeout with the journey as it is then (Parkflow-Wait says which). timeout without waitFor is 400.`,
    security,
    request: { params: journeyPath, query: GetJourneyQuery },
    responses: {
      200: json(Journey, 'The journey', { headers: waitOutcome }),
      ...problems(400, 401, 404, 429, 503),
    },
  });
  for (const step of JOURNEY_STEPS) {
    const { summary, description } = STEP_DOCS[step];
    const { body: schema, answer } = STEP_SCHEMAS[step];
    registry.registerPath({
      method: 'post',
      path: `/v1/journeys/{id}/${step}`,
      operationId: `${step}Journey`,
      summary: `Journey step: ${summary}`,
      description: `${description} A step the journey's operator does not take, or a step on a finished journey, is 409.`.trim(),
      security,
      request: {
        params: journeyPath,
        headers: stepKey,
        body: { required: false, content: { 'application/json': { schema } } },
      },
      responses: {
        200: json(answer, step === 'pay' ? 'The payment to complete at redirectUrl' : 'The journey after the step'),
        ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
      },
    });
  }
  registry.registerPath({
    method: 'post',
    path: '/v1/journeys/{id}/refresh',
    operationId: 'refreshJourney',
    summary: 'Ask the journey to look at its operator and payment now, instead of at its next poll',
    description:
      'A hint, safe to repeat: the journey reads the operator’s and the processor’s records, at most once a second. ' +
      'A driver’s return from a hosted payment page does the same by itself. Polling goes on as the backstop.',
    security,
    request: { params: journeyPath },
    responses: {
      202: json(RefreshAnswer, 'Asked'),
      ...problems(401, 404, 409, 429, 503),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/mobilpay',
    operationId: 'mobilpayNotification',
    summary: 'NETOPIA (MobilPay) IPN',
    description:
      'Authenticated by the Verification-token JWT (RS512, aud = POS signature, sub = base64 SHA-512 of the raw body); ' +
      'no API key. Duplicates are harmless.',
    request: {
      headers: z.object({ 'Verification-token': z.string() }),
      body: {
        content: {
          'application/json': {
            schema: z.object({
              order: z.object({ orderID: z.string() }),
              payment: z.object({ ntpID: z.string(), status: z.number().int() }),
            }),
          },
        },
      },
    },
    responses: {
      200: json(z.object({ errorType: z.literal(0), errorCode: z.null(), errorMessage: z.string() }), 'Accepted'),
      401: json(
        z.object({ errorType: z.literal(2), errorCode: z.number(), errorMessage: z.string() }),
        'Signature invalid, stale or tampered: nothing signalled',
      ),
      413: json(Problem, 'Body larger than 64 kB'),
      429: json(
        z.object({ errorType: z.literal(1), errorCode: z.number(), errorMessage: z.string() }),
        'Too many notifications from this address (WEBHOOK_RATE_LIMIT_PER_MINUTE): NETOPIA sends again',
        { headers: retryAfter },
      ),
      503: json(
        z.object({ errorType: z.literal(1), errorCode: z.number(), errorMessage: z.string() }),
        'Temporarily unavailable: NETOPIA sends again',
      ),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/epx',
    operationId: 'epxRedirect',
    summary: "EPX Browser Post redirect (the driver's browser brings the result)",
    description:
      'A hint that wakes the payment, which reads EPX’s own record. RESP_MAC (HMAC-SHA256 with the merchant key, an assumption: ' +
      'not in EPX’s public documents) and RESP_TIMESTAMP are checked when present; an unsigned redirect is accepted as a hint.',
    request: {
      query: z.object({ orderId: z.string().optional() }),
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({
              TRAN_NBR: z.string(),
              AUTH_RESP: z.string().optional(),
              AUTH_GUID: z.string().optional(),
              BP_RESP_CODE: z.string().optional(),
              BP_FIELD_ERRORS: z.string().optional(),
              RESP_MAC: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: html('Landing page: approved or declined when signed, "payment sent" when not'),
      401: html('A signature present but wrong or stale, or another order’s result: nothing signalled'),
      429: { ...html('Too many redirects from this address: the journey reads EPX itself'), headers: retryAfter },
      503: html('Result verified but not delivered yet: the journey reads the processor itself'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payments/return',
    operationId: 'paymentReturn',
    summary: "Where MobilPay's hosted page sends the driver back: the journey and its payment look now (a landing page)",
    request: { query: z.object({ orderId: z.string().optional() }) },
    responses: { 200: html('Landing page'), 429: { ...html('Too many returns from this address'), headers: retryAfter } },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/returns/parkingplus/{journeyId}',
    operationId: 'parkingPlusReturn',
    summary: "Parking+Plus's return_url: its pay page sends the driver back with the order's id; the journey looks now",
    request: { params: z.object({ journeyId: z.string() }), query: z.object({ id: z.string().optional() }) },
    responses: { 200: html('Landing page'), 429: { ...html('Too many returns from this address'), headers: retryAfter } },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/ector/zones',
    operationId: 'listEctorZones',
    summary: "Ector's zones (airports, stations) with their services and prices, refreshed once a day",
    description:
      'Served from parkflow’s cache, which a Temporal Schedule refreshes every night; refreshedAt says when. ' +
      'Right after a fresh install the first load may still be under way: 503 with Retry-After.',
    security,
    responses: {
      200: json(EctorZoneList, 'The cached zones', {
        links: { quoteEctorParking: { operationId: 'quoteEctorParking', parameters: { zoneId: '$response.body#/zones/0/id' } } },
      }),
      ...problems(401, 429, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/ector/quotes',
    operationId: 'quoteEctorParking',
    summary: "Ector's price and availability for a stay (passed through)",
    description:
      'The zone must be one of GET /v1/ector/zones; startAt must be in the future and before endAt (422 naming the field otherwise). ' +
      "A time without an offset is the zone's local time; one the clocks skip (spring forward) is 422.",
    security,
    request: { query: EctorQuoteQuery },
    responses: { 200: json(EctorQuote, 'The quote: the parking price and each service’s'), ...problems(400, 401, 422, 429, 503) },
  });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive') },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    summary: 'Readiness: Temporal reachable',
    responses: {
      200: json(z.object({ status: z.literal('ready') }), 'Ready'),
      503: json(z.object({ status: z.literal('not ready'), reason: z.string() }), 'Not ready'),
    },
  });
  const subscriptionPath = z.object({ id: SubscriptionId });
  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions',
    operationId: 'subscribe',
    summary: 'Subscribe an endpoint to journey events (the signing secret is in this answer only)',
    description:
      'Events are signed with Standard Webhooks: verify them with the secret (any Standard Webhooks library). ' +
      'The URL must be https and must not resolve to a loopback, private or link-local address (SSRF).',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: CreateSubscriptionRequest } } } },
    responses: {
      201: json(SubscriptionWithSecret, 'The subscription and its secret', { headers: location }),
      ...problems(400, 401, 409, 413, 415, 422, 429, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: "The tenant's subscriptions (no secrets), paused ones included",
    security,
    responses: { 200: json(SubscriptionList, 'The subscriptions'), ...problems(401, 429, 503) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/subscriptions/{id}',
    operationId: 'unsubscribe',
    summary: 'Delete a subscription: nothing more is sent to it',
    security,
    request: { params: subscriptionPath },
    responses: { 204: { description: 'Deleted' }, ...problems(401, 404, 429, 503) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions/{id}/rotate-secret',
    operationId: 'rotateSubscriptionSecret',
    summary: 'A new signing secret; the previous one still signs beside it for 24 hours',
    security,
    request: { params: subscriptionPath },
    responses: { 200: json(SubscriptionWithSecret, 'The subscription and its new secret'), ...problems(401, 404, 429, 503) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/subscriptions/{id}/resume',
    operationId: 'resumeSubscription',
    summary: 'Deliver to a paused subscription again (events meanwhile were not sent)',
    security,
    request: { params: subscriptionPath },
    responses: { 200: json(Subscription, 'The subscription, active'), ...problems(401, 404, 429, 503) },
  });
  registry.registerWebhook({
    method: 'post',
    path: 'journeyEvent',
    operationId: 'journeyEvent',
    summary: 'A journey entered a state (sent to each subscription that asked for this type)',
    request: {
      headers: z.object({
        'webhook-id': z.string().meta({ description: "The event's id." }),
        'webhook-timestamp': z.string().meta({ description: 'Seconds since the epoch; refuse one more than 5 minutes off.' }),
        'webhook-signature': z.string().meta({ description: 'v1,<base64 HMAC-SHA256> per secret, space-separated.' }),
      }),
      body: { content: { 'application/json': { schema: JourneyEvent } } },
    },
    responses: { 200: { description: 'Any 2xx: taken. Anything else or no answer within 10 s: sent again later.' } },
  });
  registry.registerWebhook({
    method: 'post',
    path: 'reconciliationDifference',
    operationId: 'reconciliationDifference',
    summary: "The nightly reconciliation found a difference in a journey's money",
    request: { body: { content: { 'application/json': { schema: ReconciliationEvent } } } },
    responses: { 200: { description: 'Any 2xx: taken.' } },
  });

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    responses: { 200: json(z.record(z.string(), z.unknown()), 'OpenAPI 3.1'), ...problems(429) },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'parkflow',
      version: '1.0.0',
      description:
        'Durable parking journeys on Temporal. Each X-API-Key belongs to a tenant (a backend service): journeys and accounts are ' +
        "the tenant's own, and another tenant's are unknown (404). Errors are application/problem+json (RFC 9457).",
    },
    servers: [{ url: '/' }],
  });
}
