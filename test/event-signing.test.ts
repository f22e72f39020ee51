import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newSigningSecret, signEvent } from '../src/domain/event-signing';

// Events are signed with Standard Webhooks; a receiver verifies them with any Standard Webhooks library
// (here the reference one, as the receiver example and the client README do).

const body = JSON.stringify({ id: 'journey-acme-0123456789abcdef0123.4.paid', type: 'journey.paid' });
const id = 'journey-acme-0123456789abcdef0123.4.paid';

describe('event signatures', () => {
  test('a valid signature verifies and gives the event back', () => {
    const secret = newSigningSecret();
    const headers = signEvent(id, new Date(), body, [secret]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  test('a tampered body, id or timestamp, or another secret, is refused', () => {
    const secret = newSigningSecret();
    const now = new Date();
    const headers = signEvent(id, now, body, [secret]);
    const webhook = new Webhook(secret);
    expect(() => webhook.verify(body.replace('paid', 'cancelled'), { ...headers })).toThrow(WebhookVerificationError);
    expect(() => webhook.verify(body, { ...headers, 'webhook-id': `${id}x` })).toThrow(WebhookVerificationError);
    expect(() => webhook.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(newSigningSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  test('a signature older than 5 minutes is refused as stale (a replay), one within them is taken', () => {
    const secret = newSigningSecret();
    const stale = signEvent(id, new Date(Date.now() - 5 * 60_000 - 10_000), body, [secret]);
    expect(() => new Webhook(secret).verify(body, { ...stale })).toThrow(/too old/i);
    const recent = signEvent(id, new Date(Date.now() - 4 * 60_000), body, [secret]);
    expect(new Webhook(secret).verify(body, { ...recent })).toEqual(JSON.parse(body));
  });

  test('while a secret rotates, the event carries both signatures: a receiver with either secret takes it', () => {
    const previous = newSigningSecret();
    const next = newSigningSecret();
    const headers = signEvent(id, new Date(), body, [next, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(next).verify(body, { ...headers })).toEqual(JSON.parse(body));
    // Once the previous secret retired, only the new one signs.
    const after = signEvent(id, new Date(), body, [next]);
    expect(() => new Webhook(previous).verify(body, { ...after })).toThrow(WebhookVerificationError);
  });

  test('secrets are whsec_ + 32 random bytes, never the same twice', () => {
    const secrets = new Set(Array.from({ length: 20 }, newSigningSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
  });
});
