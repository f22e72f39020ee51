import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { money, type Money } from '../../domain/money';
import { callUpstream, parseUpstream, rejectUpstream, UpstreamUnauthorized, type UpstreamRequest, type UpstreamResponse } from '../http';
import { TokenSource, withBearerToken } from '../tokens';

// LinkC client (seed 003; research §2): Bearer tokens from api/autenticacao, re-authenticated
// once (shared) on a 401; every answer parsed with Zod; amounts as decimal strings.

export const LINKC_ACCEPT = 'application/vnd.linkc.com.br; version=1';

export interface LinkcSettings {
  baseUrl: string;
  usuario: string;
  senha: string;
  timeoutMs: number;
}

export interface StayLookup {
  localizador?: string;
  placa?: string;
  parceiroId?: number;
}

/** A stay in parkflow's words: what is due, until when the transaction holds, until when the car may leave. */
export interface Stay {
  localizador: string;
  placa?: string;
  enteredAt: string;
  exitBy: string;
  total: Money;
  paid: Money;
  due: Money;
  transaction?: { id: string; validUntil: string };
  /**
   * False for an OSA partner's stay: LinkC shows the movement only (no amount due, no
   * transaction), so it is paid at the garage. `exitBy` is then its validade_datahora.
   */
  payableHere: boolean;
}

// LinkC's examples write "10.5", "5.5", "5.0"; parkflow keeps two decimals ("10.50"): every amount
// goes through money() — parsed as a string into minor units, never a float. More than two
// significant decimals is not an amount in reais: a parse failure, not a rounding.
const decimal = z.string().regex(/^\d+(\.\d{1,2}0*)?$/, 'a decimal amount in reais (at most two decimals)');
const instant = z.iso.datetime({ offset: true });
const Calculation = z.object({
  localizador: z.string().optional(),
  placa: z.string().optional(),
  entrada_datahora: instant,
  validade_datahora: instant,
  valor_total: decimal,
  desconto: decimal.optional(),
  valor_pago: decimal,
  valor_devido: decimal,
  valor_parceiro: decimal.optional(),
  valor_adquirente: decimal.optional(),
  transacao: z.string().optional(),
  transacao_validade_datahora: instant.optional(),
});
export const StayAnswer = z.union([
  z.object({ estadia_calculo: Calculation }),
  z.object({ permanencia: Calculation }),
  // OSA (seed 003): the field table names localizador, status, entrada_datahora, validade_datahora,
  // valor_total; the example shows documento and saida_datahora. Either spelling is taken.
  z.object({
    movimento: z.object({
      documento: z.string().optional(),
      localizador: z.string().optional(),
      status: z.string(),
      entrada_datahora: instant,
      validade_datahora: instant.optional(),
      saida_datahora: instant.optional(),
      valor_total: decimal,
    }),
  }),
]);
const TokenAnswer = z.object({ token: z.string().min(1), expiracao_datahora: instant });
const PaymentAnswer = z.object({
  autorizacao: z.string().optional(),
  transacao: z.string().optional(),
  retorno_codigo: z.string(),
  retorno_mensagem: z.string().optional(),
});

export class LinkcClient {
  private readonly tokens: TokenSource;

  constructor(private readonly settings: LinkcSettings) {
    // LinkC has no refresh grant: "refreshing" is authenticating again.
    const authenticate = () => this.authenticate();
    this.tokens = new TokenSource({ current: authenticate, refresh: authenticate });
  }

  /** 404 → UpstreamNotFound ("stay not found in the yard"); 400 → UpstreamRejected naming the field. */
  async lookupStay(lookup: StayLookup): Promise<Stay> {
    const query = new URLSearchParams();
    if (lookup.localizador) query.set('localizador', lookup.localizador);
    if (lookup.placa) query.set('placa', lookup.placa);
    if (lookup.parceiroId !== undefined) query.set('parceiro_id', String(lookup.parceiroId));
    const where = 'linkc stay lookup';
    const res = await this.authorized({ method: 'GET', path: `/api/estadias?${query}` });
    if (res.status === 404)
      throw ApplicationFailure.nonRetryable('stay not found in the yard', FailureType.UpstreamNotFound, { status: 404 });
    if (res.status === 400) {
      const body = res.body as { mensagem?: string; campo?: string } | undefined;
      throw ApplicationFailure.nonRetryable(`${where}: ${body?.mensagem ?? 'bad request'}`, FailureType.UpstreamRejected, {
        status: 400,
        field: body?.campo,
      });
    }
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const answer = parseUpstream(StayAnswer, res.body, where);
    if ('movimento' in answer) {
      const m = answer.movimento;
      const zero = money('0', 'BRL');
      // Exit is allowed until validade_datahora (the field table's "validade para saída"); the
      // seed's example has saida_datahora instead; without either, only once paid at the garage.
      const exitBy = iso(m.validade_datahora ?? m.saida_datahora ?? m.entrada_datahora);
      const localizador = m.localizador ?? m.documento ?? lookup.localizador ?? '';
      return {
        localizador,
        enteredAt: iso(m.entrada_datahora),
        exitBy,
        total: money(m.valor_total, 'BRL'),
        paid: zero,
        due: zero,
        payableHere: false,
      };
    }
    const c = 'estadia_calculo' in answer ? answer.estadia_calculo : answer.permanencia;
    return {
      localizador: c.localizador ?? lookup.localizador ?? '',
      placa: c.placa,
      enteredAt: iso(c.entrada_datahora),
      exitBy: iso(c.validade_datahora),
      total: money(c.valor_total, 'BRL'),
      paid: money(c.valor_pago, 'BRL'),
      due: money(c.valor_devido, 'BRL'),
      transaction:
        c.transacao && c.transacao_validade_datahora ? { id: c.transacao, validUntil: iso(c.transacao_validade_datahora) } : undefined,
      payableHere: true,
    };
  }

  /**
   * Registers a payment with its transaction id; an expired or refused id is a typed, final
   * refusal. A used id answers `already`: nobody but us ever had it, so an earlier try went through.
   */
  async registerPayment(transacao: string): Promise<{ registered: 'now' | 'already'; authorization?: string }> {
    const where = 'linkc payment registration';
    const res = await this.authorized({
      method: 'POST',
      path: '/api/estadias/pagamentos',
      body: { transacao_id: transacao, forma_pagamento: 'INTEGRADOR' },
    });
    if (res.status === 422) {
      const answer = PaymentAnswer.safeParse(res.body);
      const code = answer.success ? answer.data.retorno_codigo : 'UNKNOWN';
      if (code === 'TRANSACAO_UTILIZADA') return { registered: 'already' };
      const type = code === 'TRANSACAO_EXPIRADA' ? FailureType.TransactionExpired : FailureType.UpstreamRejected;
      throw ApplicationFailure.nonRetryable(
        `${where}: ${code} ${answer.success ? (answer.data.retorno_mensagem ?? '') : ''}`.trim(),
        type,
        { retorno_codigo: code },
      );
    }
    if (res.status !== 200 && res.status !== 201) rejectUpstream(where, res.status, res.body);
    return { registered: 'now', authorization: parseUpstream(PaymentAnswer, res.body, where).autorizacao };
  }

  private async authenticate() {
    const where = 'linkc authentication';
    let res: UpstreamResponse;
    try {
      res = await this.send({
        method: 'POST',
        path: '/api/autenticacao',
        body: { usuario: this.settings.usuario, senha: this.settings.senha },
      });
    } catch (err) {
      if (err instanceof UpstreamUnauthorized)
        throw ApplicationFailure.nonRetryable(`${where}: credentials refused`, FailureType.AuthExpired);
      throw err;
    }
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const answer = parseUpstream(TokenAnswer, res.body, where);
    return { token: answer.token, expiresAtMs: Date.parse(answer.expiracao_datahora) };
  }

  private authorized(req: Omit<UpstreamRequest, 'upstream' | 'baseUrl' | 'timeoutMs'>): Promise<UpstreamResponse> {
    return withBearerToken(this.tokens, `linkc ${req.method} ${req.path.split('?')[0]}`, (authorization) =>
      this.send({ ...req, headers: { authorization } }),
    );
  }

  private send(req: Omit<UpstreamRequest, 'upstream' | 'baseUrl' | 'timeoutMs'>): Promise<UpstreamResponse> {
    return callUpstream({
      ...req,
      headers: { accept: LINKC_ACCEPT, ...req.headers },
      upstream: 'linkc',
      baseUrl: this.settings.baseUrl,
      timeoutMs: this.settings.timeoutMs,
    });
  }
}

/** Instants travel as UTC ISO strings inside parkflow; LinkC's -03:00 offsets are kept exact. */
function iso(value: string): string {
  return new Date(value).toISOString();
}
