// A backend's endpoint for parkflow's journey events: verifies each event's Standard Webhooks
// signature with the subscription's secret, skips an event it has already taken (delivery is at
// least once), and prints it. Run: PARKFLOW_EVENTS_SECRET=whsec_… npx tsx examples/receiver/server.ts
import express from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export interface ParkflowEvent {
  id: string;
  type: string;
  journeyId: string;
  state?: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export function receiverApp(secret: string, onEvent: (event: ParkflowEvent) => void): express.Express {
  const webhook = new Webhook(secret);
  const taken = new Set<string>(); // a real backend keeps these ids in its database
  const app = express();
  // The signature covers the exact bytes sent: verify the raw body, parse after.
  app.post('/events', express.raw({ type: 'application/json' }), (req, res) => {
    let event: ParkflowEvent;
    try {
      event = webhook.verify(req.body as Buffer, req.headers as Record<string, string>) as ParkflowEvent;
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      return void res.status(400).json({ error: err.message }); // forged, tampered or older than 5 minutes
    }
    if (!taken.has(event.id)) {
      taken.add(event.id);
      onEvent(event);
    }
    res.status(204).end(); // any 2xx: parkflow will not send it again
  });
  return app;
}

if (require.main === module) {
  const secret = process.env.PARKFLOW_EVENTS_SECRET;
  if (!secret) throw new Error('set PARKFLOW_EVENTS_SECRET to the secret POST /v1/subscriptions answered with');
  const port = Number(process.env.RECEIVER_PORT ?? 4000);
  receiverApp(secret, (event) => console.log(event.type, event.journeyId, JSON.stringify(event.data))).listen(port, '127.0.0.1', () =>
    console.error(`receiving parkflow events on http://127.0.0.1:${port}/events`),
  );
}
