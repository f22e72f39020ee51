import { createHash, randomUUID } from 'node:crypto';
import { signRs512 } from '../../domain/jwt';

// Netopia's IPN delivery: a JSON POST to notifyUrl signed with a Verification-token JWT (RS512,
// iss "NETOPIA Payments", aud = the POS signature, sub = base64 SHA-512 of the raw body), sent
// again while the merchant answers a temporary error (errorType 1) or does not answer 2xx.
// Controls let tests drop, delay, duplicate or reorder deliveries.

export interface NotificationControls {
  dropNext: number;
  duplicateNext: number;
  delayMs: number;
  /** Hold notifications until released, then deliver them newest first. */
  hold: boolean;
}

export interface Delivery {
  url: string;
  body: string;
  attempts: number;
  answers: string[];
}

export class Notifier {
  controls: NotificationControls = { dropNext: 0, duplicateNext: 0, delayMs: 0, hold: false };
  readonly delivered: Delivery[] = [];
  /** What the controls did to notifications so far (a chaos run's table). */
  readonly injected = { dropped: 0, duplicated: 0, delayed: 0, reordered: 0 };
  private held: Array<() => Promise<void>> = [];

  constructor(
    private readonly privateKeyPem: string,
    private readonly now: () => number,
    private readonly retry = { attempts: 5, delayMs: 300 },
  ) {}

  signature(body: string, posSignature: string, nowMs = this.now()): string {
    const iat = Math.floor(nowMs / 1000);
    return signRs512(
      {
        iss: 'NETOPIA Payments',
        aud: [posSignature],
        sub: createHash('sha512').update(body).digest('base64'),
        iat,
        nbf: iat,
        exp: iat + 300,
        jti: randomUUID(),
      },
      this.privateKeyPem,
    );
  }

  notify(url: string, payload: unknown, posSignature: string): void {
    if (this.controls.dropNext > 0) {
      this.controls.dropNext -= 1;
      this.injected.dropped += 1;
      return;
    }
    const body = JSON.stringify(payload);
    const copies = this.controls.duplicateNext > 0 ? 2 : 1;
    if (copies === 2) {
      this.controls.duplicateNext -= 1;
      this.injected.duplicated += 1;
    }
    if (!this.controls.hold && this.controls.delayMs > 0) this.injected.delayed += 1;
    for (let i = 0; i < copies; i++) {
      const send = () => this.deliver(url, body, posSignature);
      if (this.controls.hold) this.held.push(send);
      else setTimeout(() => void send(), this.controls.delayMs);
    }
  }

  /** Notifications held now, waiting for release(). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Delivers held notifications, newest first (out of order). */
  async release(): Promise<void> {
    this.controls.hold = false;
    const held = this.held.reverse();
    this.held = [];
    if (held.length > 1) this.injected.reordered += held.length;
    for (const send of held) await send();
  }

  private async deliver(url: string, body: string, posSignature: string): Promise<void> {
    const delivery: Delivery = { url, body, attempts: 0, answers: [] };
    this.delivered.push(delivery);
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      delivery.attempts = attempt;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Verification-token': this.signature(body, posSignature) },
          body,
          signal: AbortSignal.timeout(5000),
        });
        const answer = await res.text();
        delivery.answers.push(`${res.status} ${answer}`);
        const errorType = safeErrorType(answer);
        if (res.ok && errorType !== 1) return; // 0 accepted, 2 permanent: no resend
      } catch (err) {
        delivery.answers.push(`error ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, this.retry.delayMs * attempt));
    }
  }
}

function safeErrorType(answer: string): number | undefined {
  try {
    return (JSON.parse(answer) as { errorType?: number }).errorType;
  } catch {
    return undefined;
  }
}
