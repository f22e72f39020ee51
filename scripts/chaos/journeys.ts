// A chaos run's client: one journey driven through the HTTP API as a backend service drives it, with
// the driver's side done on the simulators (the car at the gate, the hosted payment page). It reads
// the journey and makes the move its state calls for, so an answer lost to a crash (a 409 for a
// step already taken, a state that moved on) is understood by reading the journey again. Every key
// is derived from the plan, and a retry sends the same key and body. Abuse is what careless clients
// do: the same start twice at once and again later, a start under another key, paying twice, steps
// sent twice at once.
import { createHash } from 'node:crypto';
import { payOnPage, type CardProcessor } from './browser';
import { DeadlineReached, RetryingHttp, sleep, type Answer, type ClientStats } from './http';

export { newClientStats, type ClientStats } from './http';

export type Provider = 'parkingplus' | 'linkc' | 'ector';
export type Processor = 'mobilpay' | 'epx';

export interface ChaosTargets {
  /** The API may be down for seconds (killed -9 and restarted on the same port); so may the simulators. */
  apiUrl: string;
  apiKey: string;
  /** Base URLs (fixed ports). */
  simulators: Record<Provider | Processor, string>;
}

export type Abuse = 'concurrent-start-same-key' | 'repeat-start-same-key' | 'start-different-key' | 'double-pay' | 'concurrent-steps';

export interface JourneyPlan {
  index: number;
  provider: Provider;
  processor: Processor;
  abuse: Abuse[];
  seed: string;
}

export interface JourneyOutcome {
  index: number;
  provider: Provider;
  processor: Processor;
  journeyId?: string;
  /** journeys the abuse created on purpose (a different Idempotency-Key): reconciled too */
  extraJourneyIds: string[];
  idempotencyKey: string;
  /** What the operator's records know the journey by: the Parking+Plus driver's e-mail, the LinkC ticket (Ector: the journey id). */
  operatorRef?: string;
  lastState?: string;
  done: boolean;
  error?: string;
  steps: string[];
}

/** The journey as GET /v1/journeys/{id} answers it (the fields the client reads). */
interface JourneyView {
  id: string;
  state: string;
  payment?: PaymentView;
  upstream: Record<string, string | number>;
}

interface PaymentView {
  paymentId: string;
  method: 'parkingplus' | 'mobilpay' | 'epx';
  redirectUrl: string;
  status: string;
}

/** What a move came to: the journey is where it should end, it ended elsewhere, read it again now, or later. */
type Move = 'done' | 'ended' | 'acted' | 'wait';

const TERMINAL = ['completed', 'cancelled', 'expired', 'failed'];
/** Above the API's step deadline (30 s by default), so a slow step is answered by the API (503 + Retry-After). */
const STEP_TIMEOUT_MS = 35_000;
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 2_000;
/** A refresh per journey at most this often (the API allows 60 a minute). */
const HINT_EVERY_MS = 3_000;
/** A page paid this long ago whose payment is still pending is submitted again (a driver who reloads). */
const RESUBMIT_AFTER_MS = 15_000;
const MAX_STEPS_LOGGED = 200;

export async function driveJourney(
  targets: ChaosTargets,
  plan: JourneyPlan,
  stats: ClientStats,
  opts: { deadlineMs: number },
): Promise<JourneyOutcome> {
  return new JourneyDriver(targets, plan, stats, opts.deadlineMs).run();
}

class JourneyDriver {
  readonly outcome: JourneyOutcome;
  private readonly http: RetryingHttp;
  /** Seeded and unique per journey: keys, plates, tickets, e-mail addresses. */
  private readonly tag: string;
  private readonly keyBase: string;
  private readonly occurrences = new Map<string, number>();
  /** Hosted pages submitted (payment id + URL) and when. */
  private readonly submitted = new Map<string, number>();
  private method: Processor;
  private askedToPay = false;
  /** Since when the journey has been awaiting payment with its last payment captured. */
  private capturedSince?: number;
  private lastHintAt = 0;
  private lastRelinkAt = 0;
  private gate = { entered: false, left: false };
  private accountLink?: { username: string; password: string };

  constructor(
    private readonly targets: ChaosTargets,
    private readonly plan: JourneyPlan,
    stats: ClientStats,
    deadlineMs: number,
  ) {
    this.http = new RetryingHttp(stats, deadlineMs);
    this.tag = createHash('sha256').update(`${plan.seed}\n${plan.index}`).digest('hex');
    this.keyBase = `chaos-${plan.seed.replace(/[^\x21-\x7e]/g, '_').slice(0, 64)}-${plan.index}`;
    this.method = plan.processor;
    this.outcome = {
      index: plan.index,
      provider: plan.provider,
      processor: plan.processor,
      extraJourneyIds: [],
      idempotencyKey: `${this.keyBase}-start`,
      done: false,
      steps: [],
    };
  }

  async run(): Promise<JourneyOutcome> {
    try {
      const body = await this.startBody();
      const first = await this.startJourney(body);
      if (!first) return this.outcome;
      if (this.abuses('start-different-key')) await this.startAnother(body);
      await this.driveToEnd(first);
      if (this.abuses('repeat-start-same-key')) await this.repeatStart(body, first.id);
    } catch (err) {
      this.outcome.error = err instanceof DeadlineReached ? `deadline reached: ${err.message}` : (err as Error).message;
    }
    return this.outcome;
  }

  // ---- the start, and the abuse around it

  private async startBody(): Promise<Record<string, unknown>> {
    const { provider, index } = this.plan;
    if (provider === 'parkingplus') {
      const username = `chaos-${this.tag.slice(0, 16)}@example.com`;
      this.outcome.operatorRef = username;
      this.accountLink = { username, password: 'sekret' };
      const accountId = await this.linkAccount();
      return { provider, accountId, securedParkingId: index % 2 ? 188 : 187, plate: `PP${this.tag.slice(0, 8).toUpperCase()}` };
    }
    if (provider === 'linkc') {
      // Ten digits starting with 1: the simulator finds it (not 9…) and it is not an OSA partner's stay (5…).
      const localizador = `1${String(parseInt(this.tag.slice(0, 12), 16) % 1e9).padStart(9, '0')}`;
      this.outcome.operatorRef = localizador;
      return { provider, localizador };
    }
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const days = 2 + (index % 20);
    return {
      provider,
      zoneId: ['CDG', 'ORY', 'LYS-PART-DIEU'][index % 3],
      startAt: `${day(days)}T10:00:00`,
      endAt: `${day(days + 3)}T18:30:00`,
      services: ['cancellation_insurance'],
      contact: {
        firstName: 'Chaos',
        lastName: `Driver ${index}`,
        email: `chaos-${this.tag.slice(0, 16)}@example.com`,
        phone: '06 12 34 56 78',
      },
      car: { plate: `EC-${this.tag.slice(0, 3)}-${this.tag.slice(3, 5)}`.toUpperCase() },
    };
  }

  private async linkAccount(): Promise<string> {
    const answer = await this.api('POST', '/v1/accounts', { json: { provider: 'parkingplus', grant: 'password', ...this.accountLink } });
    this.log(`link account ${answer.status}`);
    if (answer.status !== 201) throw new Error(`linking the Parking+Plus account: ${describe(answer)}`);
    return answer.body.accountId as string;
  }

  /** The start (twice at once under the same key when abused): both answers must be the same journey. */
  private async startJourney(body: Record<string, unknown>): Promise<JourneyView | undefined> {
    const key = this.outcome.idempotencyKey;
    const twice = this.abuses('concurrent-start-same-key');
    const answers = twice ? await Promise.all([this.start(key, body), this.start(key, body)]) : [await this.start(key, body)];
    const journeys = answers.filter((a) => a.status === 201).map((a) => a.body as JourneyView);
    const [first] = journeys;
    if (!first) {
      this.outcome.error = `start refused: ${describe(answers[0]!)}`;
      return undefined;
    }
    this.outcome.journeyId = first.id;
    this.outcome.lastState = first.state;
    if (twice) this.log(`two starts at once: ${answers.map((a) => a.status).join(', ')}`);
    const others = journeys.filter((j) => j.id !== first.id).map((j) => j.id);
    if (others.length > 0) {
      this.outcome.extraJourneyIds.push(...others);
      this.outcome.error = `one Idempotency-Key answered two journeys: ${first.id}, ${others.join(', ')}`;
    }
    return first;
  }

  /** POST /v1/journeys until it is answered: a 409 means a request with this key is still in flight. */
  private async start(key: string, body: Record<string, unknown>): Promise<Answer> {
    for (let wait = POLL_FIRST_MS; ; wait = Math.min(wait * 2, POLL_MAX_MS)) {
      const answer = await this.api('POST', '/v1/journeys', { json: body, key });
      this.log(`start ${answer.status}`);
      if (answer.status !== 409) return answer;
      await this.pause(wait);
    }
  }

  /** The same body under another key: a second journey (cancelled: it was a mistake), or a refusal (a driver parks once). */
  private async startAnother(body: Record<string, unknown>): Promise<void> {
    const answer = await this.start(`${this.keyBase}-start-other`, body);
    if (answer.status !== 201) {
      this.log(`start under another key: ${describe(answer)}`);
      return;
    }
    const id = (answer.body as JourneyView).id;
    this.outcome.extraJourneyIds.push(id);
    for (let tries = 1; ; tries++) {
      const cancelled = await this.api('POST', `/v1/journeys/${id}/cancel`, {
        json: { reason: 'started twice by mistake' },
        key: this.nextKey('cancel-other'),
      });
      this.log(`cancel the other journey ${cancelled.status}`);
      if (cancelled.status === 200) return;
      const view = await this.read(id);
      if (TERMINAL.includes(view.state) || tries >= 20) return void this.log(`the other journey is ${view.state}`);
      await this.pause(500); // not cancellable yet (its first step is still running)
    }
  }

  /** Later, the same key and body again: the first journey's answer, never a new journey. */
  private async repeatStart(body: Record<string, unknown>, id: string): Promise<void> {
    const answer = await this.start(this.outcome.idempotencyKey, body);
    const again = answer.status === 201 ? (answer.body as JourneyView).id : undefined;
    this.log(`start repeated: ${answer.status}${again === id ? ' same journey' : ''}`);
    if (again === id) return;
    if (again) this.outcome.extraJourneyIds.push(again);
    this.outcome.error = `the repeated start answered ${again ?? describe(answer)} instead of ${id}`;
  }

  // ---- driving the journey to its end

  private async driveToEnd(first: JourneyView): Promise<void> {
    let view = first;
    let poll = POLL_FIRST_MS;
    let seen = '';
    for (;;) {
      this.outcome.lastState = view.state;
      if (view.state !== seen) {
        this.log(`state ${view.state}`);
        [seen, poll] = [view.state, POLL_FIRST_MS];
      }
      const move = await this.move(view);
      if (move === 'done') return void (this.outcome.done = true);
      if (move === 'ended') return void (this.outcome.error = `the journey ended ${view.state}`);
      if (move === 'wait') {
        await this.pause(poll);
        poll = Math.min(Math.round(poll * 1.5), POLL_MAX_MS);
        await this.hint(view.id);
      }
      view = await this.read(view.id);
    }
  }

  /** The move the journey's state calls for, per operator. */
  private async move(view: JourneyView): Promise<Move> {
    if (this.plan.provider === 'parkingplus') {
      switch (view.state) {
        case 'entering':
          return this.enterParking(view);
        case 'active':
          await this.stepTwiceWhenAbused('finalize');
          return 'acted';
        case 'finalizing':
          return 'wait';
        case 'awaiting_payment':
          return this.pay(view);
        case 'paid':
          await this.step('exit', {});
          return 'acted';
        case 'exiting':
          return this.leaveParking(view);
        case 'needs_reauth':
          return this.relink();
        case 'completed':
          return 'done';
        default:
          return 'ended';
      }
    }
    if (this.plan.provider === 'linkc') {
      switch (view.state) {
        case 'active':
          return 'wait'; // the first look-up is still running
        case 'awaiting_payment':
          return this.pay(view);
        case 'paid':
          await this.stepTwiceWhenAbused('exit');
          return 'acted';
        case 'exiting':
          return this.leaveYard(view);
        case 'completed':
          return 'done';
        default:
          return 'ended';
      }
    }
    // Ector: a booking paid within its window is done; the stay then runs on the journey's own timers.
    if (view.state === 'awaiting_payment') return this.pay(view);
    return ['paid', 'active', 'completed'].includes(view.state) ? 'done' : 'ended';
  }

  /** Parking+Plus: the car at the entrance gate, then the enter step (the journey reads the session). */
  private async enterParking(view: JourneyView): Promise<Move> {
    if (!this.gate.entered) this.gate.entered = await this.useGate(view, 'entrance');
    if (this.gate.entered) await this.step('enter', {});
    return 'wait';
  }

  /** Parking+Plus: the car at the exit gate with the exit key (a lapsed key is renewed by exit again). */
  private async leaveParking(view: JourneyView): Promise<Move> {
    if (!this.gate.left) this.gate.left = await this.useGate(view, 'exit');
    return 'wait';
  }

  /** True once the gate opened for the car (or had already: the session is past that gate). */
  private async useGate(view: JourneyView, which: 'entrance' | 'exit'): Promise<boolean> {
    const session = view.upstream.reference;
    const answer = await this.http.request(`${this.targets.simulators.parkingplus}/__sandbox/parking_sessions/${session}/gate`, {
      method: 'POST',
    });
    const reason = String(answer.body?.reason ?? '');
    this.log(`${which} gate ${answer.status}${reason ? ` ${reason}` : ''}`);
    if (answer.status === 200) return true;
    if (which === 'entrance' && /in state (active|exiting|closed)/.test(reason)) return true;
    if (which === 'exit' && /in state closed/.test(reason)) return true;
    if (which === 'exit' && /exit key outside its window/.test(reason)) await this.step('exit', {}); // finalizes again: a fresh key
    return false;
  }

  /** LinkC: the car leaves the yard (refused while something is due: the journey then asks for it). */
  private async leaveYard(view: JourneyView): Promise<Move> {
    if (this.gate.left) return 'wait';
    const localizador = view.upstream.localizador ?? this.outcome.operatorRef;
    const answer = await this.http.request(`${this.targets.simulators.linkc}/__sandbox/estadias/${localizador}/saida`, { method: 'POST' });
    this.log(`saida ${answer.status}`);
    this.gate.left = answer.status === 200 || answer.status === 404; // 404: it has left already
    return 'wait';
  }

  /** A Parking+Plus account whose tokens died is linked again (the journey waiting in needs_reauth resumes). */
  private async relink(): Promise<Move> {
    if (Date.now() - this.lastRelinkAt > 5_000) {
      this.lastRelinkAt = Date.now();
      await this.linkAccount();
    }
    return 'wait';
  }

  // ---- paying

  /** Awaiting payment: ask for the payment page (again once an attempt ended without money), then pay it. */
  private async pay(view: JourneyView): Promise<Move> {
    const payment = view.payment;
    const usable =
      payment?.redirectUrl && (payment.status === 'pending' || (payment.method === 'parkingplus' && payment.status === 'declined'));
    if (!this.askedToPay || !payment || (!usable && payment.status !== 'captured')) {
      this.askedToPay = true;
      return (await this.openPayment()) ? 'acted' : 'wait'; // refused (409): the journey is busy with what it holds
    }
    if (usable) {
      const submittedAt = this.submitted.get(pageKey(payment));
      if (submittedAt === undefined || Date.now() - submittedAt > RESUBMIT_AFTER_MS) await this.submit(payment);
    }
    if (payment.status === 'captured') {
      // Still awaiting payment well after a capture: the amount grew meanwhile (LinkC's tariff runs on), or
      // the journey is registering what it holds. /pay again: the difference's page, or a 409 while it registers.
      this.capturedSince ??= Date.now();
      if (Date.now() - this.capturedSince > RESUBMIT_AFTER_MS) {
        this.capturedSince = undefined;
        return (await this.openPayment()) ? 'acted' : 'wait';
      }
    } else this.capturedSince = undefined;
    return 'wait'; // paid: the journey hears of it from the processor (or reads it), then registers it upstream
  }

  /** POST /pay (twice at once when abused); each page answered is paid. Abused, /pay is asked once more after paying. */
  private async openPayment(): Promise<boolean> {
    const twice = this.abuses('double-pay') || (this.plan.provider === 'ector' && this.abuses('concurrent-steps'));
    const answers = twice ? await Promise.all([this.askToPay(), this.askToPay()]) : [await this.askToPay()];
    const pages = uniquePages(answers.flatMap((p) => (p ? [p] : [])));
    if (twice) this.log(`two pays at once: ${pages.length} page(s)`);
    await Promise.all(pages.map((p) => this.submit(p, this.abuses('double-pay'))));
    if (!this.abuses('double-pay') || pages.length === 0) return pages.length > 0;
    // The driver pays, comes back, and the backend asks to pay again: a new page here would be a second charge.
    const again = await this.askToPay();
    if (again && !this.submitted.has(pageKey(again))) {
      this.log(`pay after paying opened ${again.paymentId}: paying it too`);
      await this.submit(again);
    }
    return true;
  }

  private async askToPay(method: Processor = this.method): Promise<PaymentView | undefined> {
    // Parking+Plus's payment is its own page (the processor is chosen on it); our processors are chosen here.
    const answer = await this.step('pay', this.plan.provider === 'parkingplus' ? {} : { method });
    if (answer.status === 422 && String(answer.body?.type ?? '').endsWith('/currency-not-accepted') && method === this.plan.processor) {
      // EPX settles in its merchant account's currency only: the driver picks the other processor.
      this.method = other(method);
      this.log(`${method} refused for the currency: ${this.method} instead`);
      return this.askToPay(this.method);
    }
    return answer.status === 200 ? (answer.body as PaymentView) : undefined;
  }

  /** The driver pays the page (twice at once when abused: on Parking+Plus's page, once with each processor). */
  private async submit(payment: PaymentView, twice = false): Promise<void> {
    if (payment.status !== 'pending' && payment.status !== 'declined') return;
    this.submitted.set(pageKey(payment), Date.now());
    const card: CardProcessor = payment.method === 'epx' ? 'epx' : payment.method === 'mobilpay' ? 'mobilpay' : this.plan.processor;
    const cards: CardProcessor[] = twice ? [card, payment.method === 'parkingplus' ? other(card) : card] : [card];
    const outcomes = await Promise.all(cards.map((c) => payOnPage(this.http, payment.method, payment.redirectUrl, c)));
    for (const [i, o] of outcomes.entries()) {
      this.log(`paid ${payment.paymentId} on ${payment.method}'s page with ${cards[i]}: ${o.submitted ? 'submitted' : o.reason}`);
    }
  }

  // ---- HTTP

  /** A step under a fresh key (a retry of this request keeps it); a 409 is read as "the journey moved on". */
  private async step(name: string, body: Record<string, unknown>): Promise<Answer> {
    const answer = await this.api('POST', `/v1/journeys/${this.outcome.journeyId}/${name}`, { json: body, key: this.nextKey(name) });
    this.log(`${name} ${answer.status}`);
    if (answer.status >= 400 && answer.status !== 409 && answer.status !== 422) throw new Error(`${name}: ${describe(answer)}`);
    return answer;
  }

  /** Two of the same step at once (two backend instances racing), each under its own key. */
  private async stepTwiceWhenAbused(name: string): Promise<void> {
    if (!this.abuses('concurrent-steps')) return void (await this.step(name, {}));
    const answers = await Promise.all([this.step(name, {}), this.step(name, {})]);
    this.log(`two ${name} at once: ${answers.map((a) => a.status).join(', ')}`);
  }

  private async read(id: string): Promise<JourneyView> {
    const answer = await this.api('GET', `/v1/journeys/${id}`);
    if (answer.status !== 200) throw new Error(`reading ${id}: ${describe(answer)}`);
    return answer.body as JourneyView;
  }

  /** Look now (a hint: one try, at most every HINT_EVERY_MS); the journey's own polling is the backstop. */
  private async hint(id: string): Promise<void> {
    if (Date.now() - this.lastHintAt < HINT_EVERY_MS) return;
    this.lastHintAt = Date.now();
    await this.api('POST', `/v1/journeys/${id}/refresh`, { retry: false }).catch(() => undefined);
  }

  private api(method: string, path: string, init: { json?: unknown; key?: string; retry?: boolean } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'x-api-key': this.targets.apiKey, ...(init.key ? { 'idempotency-key': init.key } : {}) };
    return this.http.request(`${this.targets.apiUrl}${path}`, {
      method,
      headers,
      json: init.json ?? (method === 'POST' ? {} : undefined),
      timeoutMs: method === 'POST' ? STEP_TIMEOUT_MS : undefined,
      retry: init.retry,
    });
  }

  /** `<seed>-<index>-<step>-<n>`: the n-th time this journey takes the step (its retries keep n). */
  private nextKey(step: string): string {
    const n = (this.occurrences.get(step) ?? 0) + 1;
    this.occurrences.set(step, n);
    return `${this.keyBase}-${step}-${n}`;
  }

  private async pause(ms: number): Promise<void> {
    if (Date.now() + ms >= this.http.deadline) throw new DeadlineReached(`still ${this.outcome.lastState ?? 'starting'}`);
    await sleep(ms);
  }

  private abuses(kind: Abuse): boolean {
    return this.plan.abuse.includes(kind);
  }

  private log(step: string): void {
    if (this.outcome.steps.length < MAX_STEPS_LOGGED) this.outcome.steps.push(step);
  }
}

function pageKey(payment: PaymentView): string {
  return `${payment.paymentId} ${payment.redirectUrl}`;
}

function uniquePages(payments: PaymentView[]): PaymentView[] {
  return [...new Map(payments.map((p) => [pageKey(p), p])).values()];
}

function other(card: CardProcessor): CardProcessor {
  return card === 'epx' ? 'mobilpay' : 'epx';
}

function describe(answer: Answer): string {
  const detail = answer.body?.detail ?? answer.body?.title ?? answer.text.slice(0, 200);
  return `${answer.status} ${String(detail)}`;
}
