// parkflow's HTTP API, typed from its OpenAPI document: every path, parameter, body and answer comes
// from src/schema.d.ts, which `npm run generate:client` writes from /openapi.json.
import createClient, { type Client } from 'openapi-fetch';
import { Webhook } from 'standardwebhooks';
import { type components, type paths } from './schema';

export type { components, paths };
export type Journey = components['schemas']['Journey'];
export type Problem = components['schemas']['Problem'];
/** What parkflow POSTs to a subscription (Standard Webhooks). */
export type ParkflowEvent = components['schemas']['JourneyEvent'] | components['schemas']['ReconciliationEvent'];

/**
 * An incoming event, verified with the subscription's secret: the raw body and the request's
 * webhook-id, webhook-timestamp and webhook-signature headers. Throws on a forged, tampered or
 * stale (more than 5 minutes off) event.
 */
export function verifyEvent(secret: string, rawBody: string | Buffer, headers: Record<string, string>): ParkflowEvent {
  return new Webhook(secret).verify(rawBody, headers) as ParkflowEvent;
}

export interface ParkflowClientOptions {
  /** Where parkflow's API answers, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** The backend's API key (sent as X-API-Key on every request). */
  apiKey: string;
  fetch?: typeof fetch;
}

export type ParkflowClient = Client<paths>;

export function createParkflowClient({ baseUrl, apiKey, fetch }: ParkflowClientOptions): ParkflowClient {
  const client = createClient<paths>({ baseUrl, ...(fetch && { fetch }) });
  client.use({
    onRequest({ request }) {
      request.headers.set('X-API-Key', apiKey);
      return request;
    },
  });
  return client;
}
