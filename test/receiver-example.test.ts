import { type AddressInfo } from 'node:net';
import { receiverApp, type ParkflowEvent } from '../examples/receiver/server';
import { newSigningSecret, signEvent } from '../src/domain/event-signing';

// The receiver example (README "Journey events"): takes a signed event once, refuses a forged one.

test('the receiver example prints a verified event once and refuses a tampered or unsigned one', async () => {
  const secret = newSigningSecret();
  const printed: ParkflowEvent[] = [];
  const server = receiverApp(secret, (event) => printed.push(event)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  try {
    const event = { id: 'journey-acme-0123456789abcdef0123.4.paid', type: 'journey.paid', journeyId: 'journey-acme-0123456789abcdef0123', state: 'paid', occurredAt: new Date().toISOString(), data: {} };
    const body = JSON.stringify(event);
    const post = (b: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body: b, headers: { 'content-type': 'application/json', ...headers } });
    const headers = { ...signEvent(event.id, new Date(), body, [secret]) };
    expect((await post(body, headers)).status).toBe(204);
    expect((await post(body, headers)).status).toBe(204); // delivered again: taken once
    expect((await post(body.replace('paid', 'cancelled'), headers)).status).toBe(400);
    expect((await post(body, {})).status).toBe(400);
    expect(printed).toEqual([event]);
  } finally {
    server.close();
  }
});
