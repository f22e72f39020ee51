import { randomUUID } from 'node:crypto';
import { createParkflowClient } from './src';

// With `npm start` running: a Parking+Plus journey from the entrance to the hosted payment page.
const API = process.env.API ?? 'http://127.0.0.1:3000';
const PARKINGPLUS_URL = process.env.PARKINGPLUS_URL ?? 'http://127.0.0.1:4010';
const parkflow = createParkflowClient({ baseUrl: API, apiKey: process.env.API_KEY ?? 'dev-api-key' });

async function main(): Promise<void> {
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

  // 5. Pay: the driver types the card on the processor's hosted page at redirectUrl.
  const pay = await parkflow.POST('/v1/journeys/{id}/pay', journey);
  console.log(pay.data?.status, pay.data?.redirectUrl); // pending http://…
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
