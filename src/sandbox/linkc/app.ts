import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type NextFunction, type Request, type Response } from 'express';
import { fromMinorUnits } from '../../domain/money';
import { createSandboxApp, type Sandbox } from '../harness';
import { StateFile } from '../state-file';

// LinkC simulator (seed 003, in Portuguese; research §2): stays looked up by ticket (localizador)
// or plate (placa), priced by the garage's table, with a single-use transaction id valid for a
// garage-configured window; the payment registration consumes it.
// Seed rules: the versioned Accept header; every localizador except those starting with "9" and
// every placa except those starting with "Z" is found (else 404), with a random entry time; only
// cars still in the yard; 400 without localizador/placa or for a partner not allowed; OSA
// partners look up by localizador only, stays that entered through them, `movimento` shape with
// the field table's localizador, status, entrada_datahora, validade_datahora and valor_total (and
// the example's documento; its status FINALIZADO with saida_datahora for a stay that owes nothing,
// saida_datahora = validade_datahora as in the seed's examples). An OSA stay is paid at the garage.
// Amounts in the seed's examples' form: "10.5", "5.5", "5.0" (shortest, at least one decimal; "7.25").
// PROPOSALS (not public): POST api/autenticacao, POST api/estadias/pagamentos, GET api/parceiros,
// 422 with retorno_codigo/retorno_mensagem, the tariff, the exit tolerance (a garage setting:
// after a payment nothing more is due until validade_datahora = payment + tolerance; a paid
// transaction settles the stay as priced when it was quoted), stays that entered through the OSA
// partner = localizadores starting with "5", the OSA status EM_ABERTO (to pay; the seed lists no
// statuses), the kiosk control.

export const LINKC_ACCEPT = 'application/vnd.linkc.com.br; version=1';

export interface LinkcSandboxOptions {
  user?: { usuario: string; senha: string };
  tokenLifetimeSeconds?: number;
  /** The garage's validity window of a transaction id. */
  transactionValiditySeconds?: number;
  /** The garage's exit tolerance: after a payment, nothing more is due for this long (default 15 minutes). */
  exitToleranceSeconds?: number;
  /** Keep the state in <dataDir>/simulators/linkc.json (a restart continues); in memory only without. */
  dataDir?: string;
}

/** What the simulator keeps on disk (its settings come from the options). */
interface LinkcState {
  clockOffsetMs: number;
  stays: Stay[];
  transactions: Transaction[];
  tokens: Array<[string, number]>;
  paymentRequests: PaymentRequestRecord[];
  stats: { authentications: number };
}

export interface Stay {
  localizador: string;
  placa: string;
  entradaMs: number;
  pagoMinor: number;
  descontoMinor: number;
  viaOsa: boolean;
  exited: boolean;
  lastPaymentMs?: number;
  /** The exit tolerance of the last payment that settled the stay: nothing more is due before it ends. */
  toleranceUntilMs?: number;
  /** Until then, the stay is priced as at this instant (when what settled it was quoted). */
  pricedAtMs?: number;
}

export interface Transaction {
  id: string;
  localizador: string;
  devidoMinor: number;
  expiresMs: number;
  used: boolean;
  /** When the look-up that issued it priced the stay. */
  quotedMs?: number;
}

export interface PaymentRequestRecord {
  transacao: string;
  at: string;
  outcome: 'registered' | 'expired' | 'reused' | 'unknown';
}

export interface LinkcSandbox extends Sandbox {
  stays: Map<string, Stay>;
  transactions: Map<string, Transaction>;
  /** Every payment registration that reached the simulator, accepted or not. */
  paymentRequests: PaymentRequestRecord[];
  settings: { transactionValiditySeconds: number; exitToleranceSeconds: number; tokenLifetimeSeconds: number };
  stats: { authentications: number };
  /** The bearer tokens issued (token → expiry ms): tests check none reaches a history in clear. */
  tokens: ReadonlyMap<string, number>;
}

const PARTNERS = [
  { id: 1, nome: 'parkflow', tipo: 'INT' },
  { id: 2, nome: 'OSA parceiro', tipo: 'OSA' },
];
const FREE_MS = 15 * 60_000;

/** The garage's table: 15 free minutes, then R$ 5,00 the first hour and R$ 2,50 each started hour after. */
export function tariffMinor(minutesParked: number): number {
  if (minutesParked * 60_000 <= FREE_MS) return 0;
  return 500 + Math.max(0, Math.ceil(minutesParked / 60) - 1) * 250;
}

/**
 * The last instant from `fromMs` on at which a stay that entered at `entradaMs` still owes nothing
 * beyond `coveredMinor`: the tariff rises just after 15 minutes and after each whole hour.
 */
export function coveredUntilMs(entradaMs: number, coveredMinor: number, fromMs: number): number {
  const justAfter = (minutes: number) => tariffMinor(minutes + 1 / 60_000);
  let minutes = (fromMs - entradaMs) / 60_000;
  // Bounded: a year of hourly steps at most (a kiosk control could book any amount).
  for (let step = 0; step < 9_000 && justAfter(minutes) <= coveredMinor; step++)
    minutes = minutes < 15 ? 15 : (Math.floor(minutes / 60) + 1) * 60;
  return entradaMs + Math.round(minutes * 60_000);
}

/** An amount in the seed's examples' form: 1050 → "10.5", 500 → "5.0", 725 → "7.25". */
export function linkcAmount(minor: number): string {
  const twoDecimals = fromMinorUnits(minor);
  return twoDecimals.endsWith('0') ? twoDecimals.slice(0, -1) : twoDecimals;
}

/** ISO 8601 in Brasília time with its explicit -03:00 offset. */
export function isoBrasilia(ms: number): string {
  return `${new Date(ms - 3 * 3600_000).toISOString().slice(0, 19)}-03:00`;
}

export function createLinkcSandbox(options: LinkcSandboxOptions = {}): LinkcSandbox {
  const user = options.user ?? { usuario: 'parkflow', senha: 'sandbox-linkc-secret' };
  const settings = {
    transactionValiditySeconds: options.transactionValiditySeconds ?? 300,
    exitToleranceSeconds: options.exitToleranceSeconds ?? 900,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 24 * 3600,
  };
  const stays = new Map<string, Stay>();
  const transactions = new Map<string, Transaction>();
  const tokens = new Map<string, number>();
  const paymentRequests: PaymentRequestRecord[] = [];
  const stats = { authentications: 0 };
  const file = new StateFile<LinkcState>(options.dataDir, 'linkc');
  const save = () =>
    file.save({
      clockOffsetMs: clock.offsetMs,
      stays: [...stays.values()],
      transactions: [...transactions.values()],
      tokens: [...tokens],
      paymentRequests,
      stats,
    });
  const sandbox = createSandboxApp(
    () => {
      stays.clear();
      transactions.clear();
      tokens.clear();
      paymentRequests.length = 0;
    },
    file.path ? save : undefined,
  );
  const { app, clock } = sandbox;
  const saved = file.load();
  if (saved) {
    clock.offsetMs = saved.clockOffsetMs;
    for (const stay of saved.stays) stays.set(stay.localizador, stay);
    for (const tx of saved.transactions) transactions.set(tx.id, tx);
    for (const [token, expires] of saved.tokens) tokens.set(token, expires);
    paymentRequests.push(...saved.paymentRequests);
    Object.assign(stats, saved.stats);
  }
  const erro = (res: Response, status: number, mensagem: string, extra: Record<string, unknown> = {}) =>
    res.status(status).json({ mensagem, ...extra });

  app.post('/api/autenticacao', (req, res) => {
    stats.authentications += 1;
    if (req.body?.usuario !== user.usuario || req.body?.senha !== user.senha) return void erro(res, 401, 'Credenciais inválidas');
    const token = randomBytes(24).toString('base64url');
    const expires = clock.now() + settings.tokenLifetimeSeconds * 1000;
    tokens.set(token, expires);
    res.json({ token, expiracao_datahora: isoBrasilia(expires) });
  });

  const guard = (req: Request, res: Response, next: NextFunction) => {
    if ((req.get('accept') ?? '').replace(/\s+/g, '') !== LINKC_ACCEPT.replace(/\s+/g, ''))
      return void erro(res, 406, `Versão da API não suportada: use Accept: ${LINKC_ACCEPT}`);
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const expires = token ? tokens.get(token) : undefined;
    if (!expires || expires <= clock.now()) return void erro(res, 401, 'Credenciais inválidas');
    next();
  };

  app.get('/api/parceiros', guard, (_req, res) => void res.json({ parceiros: PARTNERS }));

  /** Dev environment: every ticket/plate is found (but 9…/Z…) with an entry time drawn at random. */
  const stayFor = (key: { localizador?: string; placa?: string }): Stay | undefined => {
    if (key.localizador?.startsWith('9') || key.placa?.toUpperCase().startsWith('Z')) return undefined;
    const found = [...stays.values()].find((s) =>
      key.localizador ? s.localizador === key.localizador : s.placa === key.placa!.toUpperCase(),
    );
    if (found) return found.exited ? undefined : found;
    const seed = createHash('sha256')
      .update(key.localizador ?? key.placa!)
      .digest()
      .readUInt32BE(0);
    const localizador = key.localizador ?? String(1_000_000_000 + (seed % 8_000_000_000)).replace(/^[59]/, '1');
    const stay: Stay = {
      localizador,
      placa: key.placa?.toUpperCase() ?? `ABC${String(seed % 10_000).padStart(4, '0')}`,
      entradaMs: clock.now() - (30 + (seed % 150)) * 60_000,
      pagoMinor: 0,
      descontoMinor: 0,
      viaOsa: localizador.startsWith('5'),
      exited: false,
    };
    stays.set(stay.localizador, stay);
    return stay;
  };

  /** The stay's price now: within the exit tolerance of a payment, as when what settled it was quoted. */
  const totalMinorOf = (stay: Stay, now = clock.now()) => {
    const pricedAt = stay.toleranceUntilMs !== undefined && now <= stay.toleranceUntilMs ? (stay.pricedAtMs ?? now) : now;
    return tariffMinor((pricedAt - stay.entradaMs) / 60_000);
  };
  const devidoMinorOf = (stay: Stay, now = clock.now()) => Math.max(0, totalMinorOf(stay, now) - stay.pagoMinor - stay.descontoMinor);
  /** A payment booked: if the stay owes nothing as priced at `pricedAtMs`, the exit tolerance starts now. */
  const booked = (stay: Stay, pricedAtMs: number) => {
    const now = clock.now();
    stay.lastPaymentMs = now;
    if (stay.pagoMinor + stay.descontoMinor < tariffMinor((pricedAtMs - stay.entradaMs) / 60_000)) return;
    Object.assign(stay, { pricedAtMs, toleranceUntilMs: now + settings.exitToleranceSeconds * 1000 });
  };

  const calculation = (stay: Stay, withTransaction = true) => {
    const now = clock.now();
    const totalMinor = totalMinorOf(stay, now);
    const devidoMinor = devidoMinorOf(stay, now);
    // Something due: leave only after paying. Nothing due: until the exit tolerance of the last payment
    // ends, or the free minutes, or the tariff's next step asks for more than was paid — the later.
    const validadeMs =
      devidoMinor > 0
        ? now
        : coveredUntilMs(stay.entradaMs, stay.pagoMinor + stay.descontoMinor, Math.max(now, stay.toleranceUntilMs ?? now));
    const body: Record<string, string> = {
      entrada_datahora: isoBrasilia(stay.entradaMs),
      validade_datahora: isoBrasilia(validadeMs),
      valor_total: linkcAmount(totalMinor),
      desconto: linkcAmount(stay.descontoMinor),
      valor_pago: linkcAmount(stay.pagoMinor),
      valor_devido: linkcAmount(devidoMinor),
      valor_parceiro: linkcAmount(devidoMinor),
      valor_adquirente: linkcAmount(devidoMinor),
    };
    if (devidoMinor > 0 && withTransaction) {
      const tx: Transaction = {
        id: randomUUID(),
        localizador: stay.localizador,
        devidoMinor,
        expiresMs: now + settings.transactionValiditySeconds * 1000,
        used: false,
        quotedMs: now,
      };
      transactions.set(tx.id, tx);
      body.transacao = tx.id;
      body.transacao_validade_datahora = isoBrasilia(tx.expiresMs);
    }
    return body;
  };

  app.get('/api/estadias', guard, (req, res) => {
    const localizador = typeof req.query.localizador === 'string' && req.query.localizador ? req.query.localizador : undefined;
    const placa = typeof req.query.placa === 'string' && req.query.placa ? req.query.placa : undefined;
    if (!localizador && !placa) return void erro(res, 400, 'Parâmetro <localizador> ou <placa> não informado', { campo: 'localizador' });
    const parceiroId = req.query.parceiro_id === undefined ? 1 : Number(req.query.parceiro_id);
    const partner = PARTNERS.find((p) => p.id === parceiroId);
    if (!partner) return void erro(res, 400, 'Sem permissão para utilizar o parceiro informado', { campo: 'parceiro_id' });
    if (partner.tipo === 'OSA' && !localizador)
      return void erro(res, 400, 'Parceiro OSA consulta somente por localizador', { campo: 'placa' });
    const stay = stayFor({ localizador, placa });
    if (!stay || (partner.tipo === 'OSA' && !stay.viaOsa)) return void erro(res, 404, 'Estadia não encontrada no pátio');
    if (partner.tipo === 'OSA') {
      const { entrada_datahora, validade_datahora, valor_total } = calculation(stay, false);
      // Owes nothing: the seed's example (FINALIZADO, saida_datahora = the exit-by of its other examples).
      const settled = devidoMinorOf(stay) === 0;
      return void res.json({
        movimento: {
          localizador: stay.localizador,
          documento: stay.localizador,
          status: settled ? 'FINALIZADO' : 'EM_ABERTO',
          entrada_datahora,
          validade_datahora,
          ...(settled ? { saida_datahora: validade_datahora } : {}),
          valor_total,
        },
      });
    }
    const body = calculation(stay);
    res.json(
      localizador
        ? { estadia_calculo: { localizador: stay.localizador, ...body } }
        : { permanencia: { placa: stay.placa, localizador: stay.localizador, ...body } },
    );
  });

  // Registers the payment of a stay (the integrator charged the driver itself: no card here).
  app.post('/api/estadias/pagamentos', guard, (req, res) => {
    const id = String(req.body?.transacao_id ?? req.body?.transacao ?? '');
    if (!id) return void erro(res, 400, 'Parâmetro <transacao_id> não informado', { campo: 'transacao_id' });
    const tx = transactions.get(id);
    const at = new Date(clock.now()).toISOString();
    const refuse = (outcome: PaymentRequestRecord['outcome'], codigo: string, mensagem: string) => {
      paymentRequests.push({ transacao: id, at, outcome });
      res.status(422).json({ retorno_codigo: codigo, retorno_mensagem: mensagem, transacao: id });
    };
    if (!tx) return refuse('unknown', 'TRANSACAO_INVALIDA', 'Transação não encontrada');
    if (tx.used) return refuse('reused', 'TRANSACAO_UTILIZADA', 'Transação já utilizada');
    if (tx.expiresMs <= clock.now()) return refuse('expired', 'TRANSACAO_EXPIRADA', 'Transação expirada: consulte a estadia novamente');
    const stay = stays.get(tx.localizador)!;
    // A stay paid in part elsewhere since the look-up owes less than this id says: look it up again.
    if (tx.devidoMinor > devidoMinorOf(stay)) {
      return refuse('unknown', 'TRANSACAO_INVALIDA', 'A estadia mudou desde a consulta: consulte novamente');
    }
    tx.used = true;
    stay.pagoMinor += tx.devidoMinor;
    booked(stay, tx.quotedMs ?? clock.now());
    paymentRequests.push({ transacao: id, at, outcome: 'registered' });
    res.json({
      autorizacao: randomBytes(4).toString('hex').toUpperCase(),
      transacao: id,
      retorno_codigo: '00',
      retorno_mensagem: 'Pagamento registrado',
    });
  });

  // Controls: the car leaves (only when nothing is due), the kiosk, the garage's settings (POST
  // /__sandbox/settings {"transactionValiditySeconds", "exitToleranceSeconds", "tokenLifetimeSeconds"}).
  app.post('/__sandbox/estadias/:localizador/saida', (req, res) => {
    const stay = stays.get(req.params.localizador);
    if (!stay || stay.exited) return void erro(res, 404, 'Estadia não encontrada no pátio');
    if (devidoMinorOf(stay) > 0) return void erro(res, 409, 'Saída bloqueada: há valor devido');
    stay.exited = true;
    res.json({ saida_datahora: isoBrasilia(clock.now()) });
  });
  // The driver pays (part of) the stay at the garage's kiosk: LinkC books it without us.
  app.post('/__sandbox/estadias/:localizador/kiosk', (req, res) => {
    const stay = stays.get(req.params.localizador);
    const amountMinor = Math.round(Number(req.body?.amountMinor));
    if (!stay || stay.exited || !Number.isSafeInteger(amountMinor) || amountMinor <= 0) return void erro(res, 400, 'Pagamento inválido');
    stay.pagoMinor += amountMinor;
    booked(stay, clock.now());
    res.json({ valor_pago: linkcAmount(stay.pagoMinor) });
  });
  // A token-expiry storm: every bearer token issued so far stops working now.
  app.post('/__sandbox/tokens/expire', (_req, res) => {
    for (const token of tokens.keys()) tokens.set(token, clock.now());
    res.status(204).end();
  });
  app.post('/__sandbox/settings', (req, res) => {
    Object.assign(
      settings,
      Object.fromEntries(
        Object.entries(req.body ?? {})
          .filter(([k, v]) => k in settings && Number.isFinite(Number(v)))
          .map(([k, v]) => [k, Number(v)]),
      ),
    );
    res.json(settings);
  });
  // What LinkC booked from each registration: a used transaction paid its devidoMinor (a chaos run's reconciliation).
  app.get(
    '/__sandbox/ledger',
    (_req, res) => void res.json({ stays: [...stays.values()], paymentRequests, transactions: [...transactions.values()] }),
  );

  return { ...sandbox, stays, transactions, paymentRequests, settings, stats, tokens };
}
