import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

// A subscriber's endpoint for tests: records every POST (headers, raw body, the status it answered)
// and answers as told.

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export class Receiver {
  readonly received: Received[] = [];
  /** The statuses of the next answers, one per request; then `status`. */
  failures: number[] = [];
  status = 200;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = this.failures.shift() ?? this.status;
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  /** The events it took (answered 2xx), in the order they arrived. */
  get taken(): Array<{ id: string; type: string; journeyId: string; state: string }> {
    return this.received.filter((r) => r.status < 300).map((r) => JSON.parse(r.body) as { id: string; type: string; journeyId: string; state: string });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
