import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  Account,
  CancelRequest,
  CreateAccountRequest,
  CreateJourneyRequest,
  Journey,
  JourneySummary,
  PayRequest,
  Payment,
  Problem,
} from './schemas';

/** /openapi.json, generated from the same Zod schemas that validate requests. */
export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  const security = [{ ApiKey: [] }];
  const problems = (...statuses: number[]) =>
    Object.fromEntries(statuses.map((s) => [s, { description: 'Problem', content: { 'application/problem+json': { schema: Problem } } }]));
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const journeyId = z.object({ id: z.string().meta({ example: 'journey-4f1c2a9b7d3e5f60a1b2' }) });
  const idempotencyKey = z.object({ 'Idempotency-Key': z.string().max(255).meta({ example: '3f6c1b1e-8a7d-4c5e-9f2a-1b2c3d4e5f60' }) });

  registry.registerPath({
    method: 'post',
    path: '/v1/accounts',
    summary: 'Link an upstream account (Parking+Plus password or Facebook grant)',
    security,
    request: { body: { content: { 'application/json': { schema: CreateAccountRequest } } } },
    responses: { 201: json(Account, 'The linked account'), ...problems(400, 422, 503) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/journeys',
    summary: 'Start a journey and get its first step (Update-with-Start)',
    description:
      'The same Idempotency-Key and body return the same journey and answer; another body 422; no key 400; a request in flight 409.',
    security,
    request: { headers: idempotencyKey, body: { content: { 'application/json': { schema: CreateJourneyRequest } } } },
    responses: { 201: json(Journey, 'The journey after its first step'), ...problems(400, 404, 409, 422, 503) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/journeys',
    summary: 'List journeys (Temporal visibility)',
    security,
    request: { query: z.object({ state: z.string().optional(), provider: z.string().optional() }) },
    responses: { 200: json(z.object({ journeys: z.array(JourneySummary) }), 'Journeys'), ...problems(400) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/journeys/{id}',
    summary: 'A journey: state, amounts, deadlines, keys, payment, timeline',
    security,
    request: { params: journeyId },
    responses: { 200: json(Journey, 'The journey'), ...problems(404) },
  });
  for (const step of ['enter', 'finalize', 'exit'] as const) {
    registry.registerPath({
      method: 'post',
      path: `/v1/journeys/{id}/${step}`,
      summary: `Journey step: ${step}`,
      security,
      request: { params: journeyId, headers: idempotencyKey.partial() },
      responses: { 200: json(Journey, 'The journey after the step'), ...problems(400, 404, 409, 422, 503) },
    });
  }
  registry.registerPath({
    method: 'post',
    path: '/v1/journeys/{id}/pay',
    summary: 'Journey step: pay (the redirect URL of the hosted payment page)',
    description:
      'One attempt is open at a time: a pay while one is opening or pending answers with it; another method meanwhile is 409. ' +
      "A processor that cannot take the journey's currency is 422 (currency-not-accepted) before any order is opened.",
    security,
    request: { params: journeyId, body: { content: { 'application/json': { schema: PayRequest } } } },
    responses: { 200: json(Payment, 'The payment to complete at redirectUrl'), ...problems(400, 404, 409, 422, 503) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/journeys/{id}/cancel',
    summary: 'Journey step: cancel',
    security,
    request: { params: journeyId, body: { content: { 'application/json': { schema: CancelRequest } } } },
    responses: { 200: json(Journey, 'The cancelled journey'), ...problems(400, 404, 409) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/mobilpay',
    summary: 'NETOPIA (MobilPay) IPN',
    description:
      'Authenticated by the Verification-token JWT (RS512, aud = POS signature, sub = base64 SHA-512 of the raw body); no API key. Duplicates are harmless.',
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
      503: json(
        z.object({ errorType: z.literal(1), errorCode: z.number(), errorMessage: z.string() }),
        'Temporarily unavailable: NETOPIA sends again',
      ),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/epx',
    summary: "EPX Browser Post redirect (the driver's browser brings the result)",
    description: 'Authenticated by RESP_MAC (HMAC-SHA256 with the merchant key, an assumption) and RESP_TIMESTAMP; answers a landing page.',
    request: {
      query: z.object({ orderId: z.string() }),
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({ AUTH_RESP: z.string(), AUTH_GUID: z.string(), TRAN_NBR: z.string(), RESP_MAC: z.string() }),
          },
        },
      },
    },
    responses: {
      200: { description: 'Landing page (text/html)' },
      401: { description: 'Result not accepted (text/html): nothing signalled' },
    },
  });
  registry.registerPath({ method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: { description: 'alive' } } });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal reachable',
    responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'parkflow', version: '1.0.0', description: 'Durable parking journeys on Temporal.' },
    servers: [{ url: '/' }],
  });
}
