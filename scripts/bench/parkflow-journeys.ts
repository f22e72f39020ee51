// parkflow's side of the benchmark: one journey of each kind driven through the HTTP API as a backend
// drives it, every step timed; the driver's part (the car at the gate, the hosted page paid by card)
// is done on the simulators, as in the chaos run, and its time is kept apart (`page`).
import { randomUUID } from 'node:crypto';
import { payOnPage } from '../chaos/browser';
import { type Answer, newClientStats, RetryingHttp } from '../chaos/http';
import { paymentWorkflowId } from '../../src/workflows/payment-messages';
import { type JourneyKind } from './results';
import { pollUntil, type StepTimes } from './timings';

export interface ParkflowTargets {
  apiUrl: string;
  apiKey: string;
  simulators: { parkingplus: string; linkc: string };
}

/** What a driven journey leaves behind: the workflow ids whose histories make up its Temporal work. */
export interface DrivenJourney {
  workflowIds: string[];
}

interface JourneyView {
  id: string;
  state: string;
  upstream: Record<string, string | number>;
  payment?: { paymentId: string; method: string; redirectUrl: string; status: string };
}

export class ParkflowDriver {
  private readonly http = new RetryingHttp(newClientStats(), Number.MAX_SAFE_INTEGER);
  /** One linked Parking+Plus account per driver slot: linking is not a journey's step. */
  private readonly accounts = new Map<number, string>();

  constructor(private readonly targets: ParkflowTargets) {}

  /** Before a level (untimed): the Parking+Plus accounts of its driver slots are linked. */
  async prepare(kind: JourneyKind, concurrency: number): Promise<void> {
    if (kind === 'parkingplus') await Promise.all(Array.from({ length: concurrency }, (_, slot) => this.account(slot)));
  }

  async drive(kind: JourneyKind, slot: number, times: StepTimes): Promise<DrivenJourney> {
    if (kind === 'parkingplus') return this.parkingPlus(slot, times);
    return kind === 'linkc' ? this.linkc(times) : this.ector(times);
  }

  /** start → the car at the gate → enter → finalize → pay (Parking+Plus's own page) → paid → exit. */
  private async parkingPlus(slot: number, times: StepTimes): Promise<DrivenJourney> {
    const accountId = await this.account(slot);
    const tag = randomUUID().slice(0, 8).toUpperCase();
    let view = await this.start(times, { provider: 'parkingplus', accountId, securedParkingId: 187, plate: `PB${tag}` });
    const gate = () =>
      this.http.request(`${this.targets.simulators.parkingplus}/__sandbox/parking_sessions/${view.upstream.reference}/gate`, {
        method: 'POST',
      });
    await gate();
    view = await this.step(times, view.id, 'enter', {}, 'active');
    view = await this.step(times, view.id, 'finalize', {}, 'awaiting_payment');
    const payment = await this.step(times, view.id, 'pay', {});
    await this.payPage(times, view.id, 'parkingplus', payment as unknown as JourneyView['payment']);
    await this.step(times, view.id, 'exit', {}, 'exiting');
    await gate(); // the car leaves: the account's next journey may start
    return { workflowIds: [view.id] };
  }

  /** start (the stay looked up) → pay with MobilPay → paid (registered with LinkC) → exit. */
  private async linkc(times: StepTimes): Promise<DrivenJourney> {
    const localizador = `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
    const view = await this.start(times, { provider: 'linkc', localizador });
    const payment = await this.step(times, view.id, 'pay', { method: 'mobilpay' });
    const paid = await this.payPage(times, view.id, 'mobilpay', payment as unknown as JourneyView['payment']);
    await this.step(times, view.id, 'exit', {}, 'exiting');
    return { workflowIds: [view.id, ...paymentIds(paid)] };
  }

  /** start (quote, booking) → pay with MobilPay → paid (the booking marked paid). */
  private async ector(times: StepTimes): Promise<DrivenJourney> {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const view = await this.start(times, {
      provider: 'ector',
      zoneId: 'CDG',
      startAt: `${day(3)}T10:00:00`,
      endAt: `${day(6)}T18:30:00`,
      services: ['cancellation_insurance'],
      contact: { firstName: 'Bench', lastName: 'Driver', email: 'bench@example.com', phone: '06 12 34 56 78' },
      car: { plate: `EB-${randomUUID().slice(0, 3)}-42`.toUpperCase() },
    });
    const payment = await this.step(times, view.id, 'pay', { method: 'mobilpay' });
    const paid = await this.payPage(times, view.id, 'mobilpay', payment as unknown as JourneyView['payment']);
    return { workflowIds: [view.id, ...paymentIds(paid)] };
  }

  private async account(slot: number): Promise<string> {
    let id = this.accounts.get(slot);
    if (!id) {
      const body = {
        provider: 'parkingplus',
        grant: 'password',
        username: `bench-${slot}-${randomUUID()}@example.com`,
        password: 'sekret',
      };
      id = String(expect(await this.api('POST', '/v1/accounts', body), 201, 'link').body.accountId);
      this.accounts.set(slot, id);
    }
    return id;
  }

  private async start(times: StepTimes, body: Record<string, unknown>): Promise<JourneyView> {
    const answer = await times.time('start', () => this.api('POST', '/v1/journeys', body, randomUUID()));
    return expect(answer, 201, 'start').body as JourneyView;
  }

  private async step(times: StepTimes, id: string, name: string, body: object, state?: string): Promise<JourneyView> {
    const answer = await times.time(name, () => this.api('POST', `/v1/journeys/${id}/${name}`, body, randomUUID()));
    const view = expect(answer, 200, name).body as JourneyView;
    if (state && view.state !== state) throw new Error(`${name} answered ${view.state}, expected ${state}`);
    return view;
  }

  /** The driver pays the hosted page (`page`), then the backend reads the journey until it is paid (`until paid`). */
  private async payPage(times: StepTimes, id: string, page: 'parkingplus' | 'mobilpay', payment?: JourneyView['payment']) {
    if (!payment?.redirectUrl) throw new Error(`pay answered no page: ${JSON.stringify(payment)}`);
    const outcome = await times.time('page', () => payOnPage(this.http, page, payment.redirectUrl, 'mobilpay'));
    if (!outcome.submitted) throw new Error(`the ${page} page refused the card: ${outcome.reason}`);
    return times.time('until paid', () =>
      pollUntil(
        () => this.read(times, id),
        (view) => view.state === 'paid',
      ),
    );
  }

  private async read(times: StepTimes, id: string): Promise<JourneyView> {
    return expect(await times.time('get', () => this.api('GET', `/v1/journeys/${id}`)), 200, 'get').body as JourneyView;
  }

  private api(method: string, path: string, json?: object, key?: string): Promise<Answer> {
    const headers: Record<string, string> = { 'x-api-key': this.targets.apiKey, ...(key ? { 'idempotency-key': key } : {}) };
    return this.http.request(`${this.targets.apiUrl}${path}`, { method, headers, json, timeoutMs: 60_000 });
  }
}

function paymentIds(view: JourneyView): string[] {
  return view.payment && view.payment.method !== 'parkingplus' ? [paymentWorkflowId(view.payment.paymentId)] : [];
}

function expect(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
  return answer;
}
