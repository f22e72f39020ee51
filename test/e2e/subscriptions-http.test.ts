import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { eventually, OTHER_API_KEY, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';
import { Receiver } from '../support/receiver';
import { payOnParkingPlusPage } from '../support/payments';

// Event subscriptions through the HTTP API, and journey events delivered to a real endpoint by the
// worker: signed, in order, once per transition. The receiver listens on loopback, so this stack
// allows private targets (SUBSCRIBER_PRIVATE_TARGETS, as in development); parkingplus-http.test.ts
// shows a default stack refusing them.

let stack: Stack;
let receiver: Receiver;
let url: string;

beforeAll(async () => {
  receiver = new Receiver();
  url = await receiver.start();
  stack = await startStack({ SUBSCRIBER_PRIVATE_TARGETS: 'true' });
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack);
  await receiver?.stop();
});

const ALL = ['journey.entering', 'journey.active', 'journey.finalizing', 'journey.awaiting_payment', 'journey.paid', 'journey.exiting', 'journey.completed'];
const gate = (sessionId: number | string) => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${sessionId}/gate`, { method: 'POST' });

/** A Parking+Plus journey from start to completed (the driver pays on the hosted page); its id. */
async function fullJourney(): Promise<string> {
  const link = await stack.api('/v1/accounts', {
    body: { provider: 'parkingplus', grant: 'password', username: `events-${randomUUID()}@example.com`, password: 'sekret' },
  });
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'parkingplus', accountId: link.body.accountId, securedParkingId: 187, plate: 'cj-01-abc' },
  });
  const id: string = started.body.id;
  await gate(started.body.upstream.reference);
  await stack.api(`/v1/journeys/${id}/enter`, { body: {} });
  await stack.api(`/v1/journeys/${id}/finalize`, { body: {} });
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });
  await payOnParkingPlusPage(pay.body.redirectUrl);
  await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === 'paid' ? true : undefined), 15_000, 'paid');
  await stack.api(`/v1/journeys/${id}/exit`, { body: {} });
  await gate(started.body.upstream.reference);
  await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === 'completed' ? true : undefined), 15_000, 'completed');
  return id;
}

const received = (journeyId: string) => receiver.received.filter((r) => JSON.parse(r.body).journeyId === journeyId);

describe('event subscriptions over HTTP', () => {
  let subscriptionId: string;
  let secret: string;

  test('a subscription: created with its secret once, listed without it, the tenant’s own', async () => {
    const created = await stack.api('/v1/subscriptions', { body: { url, events: ALL, description: 'backend' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^sub_[a-f0-9]{16}$/), url, events: ALL, status: 'active', secret: expect.stringMatching(/^whsec_/) });
    ({ id: subscriptionId, secret } = created.body);

    const listed = await stack.api('/v1/subscriptions');
    expect(listed.body.subscriptions).toEqual([expect.objectContaining({ id: subscriptionId, status: 'active' })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    const other = await stack.api('/v1/subscriptions', { headers: { 'x-api-key': OTHER_API_KEY } });
    expect(other.body).toEqual({ subscriptions: [] });
    const otherDelete = await stack.api(`/v1/subscriptions/${subscriptionId}`, { method: 'DELETE', headers: { 'x-api-key': OTHER_API_KEY } });
    expect(otherDelete.status).toBe(404);
  });

  test('bad subscriptions are problems naming the field: unknown event type, no events, not a URL', async () => {
    for (const body of [{ url, events: ['journey.teleported'] }, { url, events: [] }, { url: 'not a url', events: ALL }]) {
      const res = await stack.api('/v1/subscriptions', { body });
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors[0].field).toMatch(/^(events|url)/);
    }
    expect((await stack.api('/v1/subscriptions/sub_0000000000000000', { method: 'DELETE' })).status).toBe(404);
    expect((await stack.api('/v1/subscriptions/nonsense/resume', { method: 'POST', body: {} })).status).toBe(404);
  });

  test('every transition of a journey arrives once, in order, signed with the secret; no plate, no smart key', async () => {
    const journeyId = await fullJourney();
    const events = await eventually(async () => (received(journeyId).length >= ALL.length ? received(journeyId) : undefined), 20_000, 'events');
    const webhook = new Webhook(secret);
    const bodies = events.map((e) => webhook.verify(e.body, e.headers as Record<string, string>) as { id: string; type: string; state: string });
    expect(bodies.map((b) => b.type)).toEqual(ALL);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(ALL.length);
    expect(events.map((e) => e.headers['webhook-id'])).toEqual(bodies.map((b) => b.id));
    expect(bodies.find((b) => b.type === 'journey.completed')).toMatchObject({
      journeyId,
      state: 'completed',
      data: { provider: 'parkingplus', amount: { value: '5.00', currency: 'RON' }, payment: { status: 'captured' } },
    });
    for (const event of events) {
      expect(event.body).not.toContain('CJ-01-ABC');
      expect(event.body).not.toContain('accessCommand');
    }
  }, 60_000);

  test('rotating the secret: both sign for a day, so a receiver with either takes the next events', async () => {
    const rotated = await stack.api(`/v1/subscriptions/${subscriptionId}/rotate-secret`, { method: 'POST', body: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ id: subscriptionId, secret: expect.stringMatching(/^whsec_/), previousSecretValidUntil: expect.any(String) });
    expect(rotated.body.secret).not.toBe(secret);
    const journeyId = await fullJourney();
    const events = await eventually(async () => (received(journeyId).length >= ALL.length ? received(journeyId) : undefined), 20_000, 'events');
    for (const event of events) {
      expect(String(event.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(new Webhook(secret).verify(event.body, event.headers as Record<string, string>)).toBeTruthy();
      expect(new Webhook(rotated.body.secret).verify(event.body, event.headers as Record<string, string>)).toBeTruthy();
    }
  }, 60_000);

  test('deleted: nothing more is sent to it', async () => {
    expect((await stack.api(`/v1/subscriptions/${subscriptionId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await stack.api('/v1/subscriptions')).body).toEqual({ subscriptions: [] });
    const before = receiver.received.length;
    const journeyId = await fullJourney();
    // The journey's last event has been handed on (its stream has run) before we look.
    await eventually(async () => {
      const stream = await stack.env.client.workflow.getHandle(`events-${journeyId}`).describe();
      return stream.status.name === 'COMPLETED' ? true : undefined;
    });
    expect(receiver.received.length).toBe(before);
  }, 60_000);

  test('every answer matches /openapi.json', async () => {
    expect(await stack.contractViolations()).toEqual([]);
  });
});
