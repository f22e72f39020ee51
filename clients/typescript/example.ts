import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createParkflowClient, verifyEvent } from './src';

// With `npm start` running: a Parking+Plus journey from the entrance to paid, told by a signed event.
const API = process.env.API ?? 'http://127.0.0.1:3000';
const PARKINGPLUS_URL = process.env.PARKINGPLUS_URL ?? 'http://127.0.0.1:4010';
const parkflow = createParkflowClient({ baseUrl: API, apiKey: process.env.API_KEY ?? 'dev-api-key' });

async function main(): Promise<void> {
  // 0. An endpoint for journey events on this machine, subscribed to journey.paid (the secret comes once).
  const arrived: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      arrived.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => receiver.once('listening', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  const subscription = await parkflow.POST('/v1/subscriptions', { body: { url, events: ['journey.paid'] } });
  if (!subscription.data) throw new Error(`subscribe: ${subscription.error.title}`);

  // 1. Link the driver's Parking+Plus account (any …@example.com signs in to the simulator with "sekret").
  const account = await parkflow.POST('/v1/accounts', {
    body: { provider: 'parkingplus', grant: 'password', username: `driver-${randomUUID()}@example.com`, password: 'sekret' },
  });
  if (!account.data) throw new Error(`link: ${account.error.title}`);

  // 2. Start a journey; a retry with the same Idempotency-Key and body answers the first answer.
  const started = await parkflow.POST('/v1/journeys', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: { provider: 'parkingplus', accountId: account.data.accountId, securedParkingId: 187, plate: 'B123XYZ' },
  });
  if (!started.data) throw new Error(`start: ${started.error.title}`);
  const journey = { params: { path: { id: started.data.id } } };

  // 3. The car passes the entrance gate (a simulator control); the journey is active.
  await fetch(`${PARKINGPLUS_URL}/__sandbox/parking_sessions/${started.data.upstream?.reference}/gate`, { method: 'POST' });
  const entered = await parkflow.POST('/v1/journeys/{id}/enter', journey);
  console.log(entered.data?.state); // active

  // 4. Finalize: the amount to pay.
  const finalized = await parkflow.POST('/v1/journeys/{id}/finalize', journey);
  console.log(finalized.data?.amount); // e.g. { value: '5.00', currency: 'RON' }

  // 5. Pay: the driver types the card on the processor's hosted page at redirectUrl (here: the simulator's form).
  const pay = await parkflow.POST('/v1/journeys/{id}/pay', journey);
  console.log(pay.data?.status, pay.data?.redirectUrl); // pending http://…
  const card = { processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' };
  await fetch(pay.data!.redirectUrl, { method: 'POST', body: new URLSearchParams(card) });

  // 6. Wait for paid: parkflow holds the answer until the journey gets there (at most 30 s a request).
  let state: string | undefined;
  while (state !== 'paid') {
    const view = await parkflow.GET('/v1/journeys/{id}', { params: { ...journey.params, query: { waitFor: 'paid', timeout: 30 } } });
    if (!view.data) throw new Error(`wait: ${view.error.title}`);
    state = view.data.state;
    if (['completed', 'cancelled', 'expired', 'failed'].includes(state)) throw new Error(`journey ended ${state}`);
    // A floor between asks: a journey on a build from before waitFor answers at once.
    if (state !== 'paid') await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  console.log(state); // paid

  // 7. The journey.paid event: verify its signature with the subscription's secret before trusting it.
  while (arrived.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const event = verifyEvent(subscription.data.secret, arrived[0]!.body, arrived[0]!.headers as Record<string, string>);
  console.log(event.type, event.journeyId === started.data.id); // journey.paid true

  await parkflow.DELETE('/v1/subscriptions/{id}', { params: { path: { id: subscription.data.id } } });
  receiver.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
