import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { callUpstream, parseUpstream, rejectUpstream, UpstreamUnauthorized, type UpstreamRequest, type UpstreamResponse } from '../http';
import { CurrentSession, FinalizedSession, PaymentStatus, SessionTransactions, TokenResponse } from './schemas';
import { withBearerToken, type TokenSource } from '../tokens';

export interface ParkingPlusSettings {
  baseUrl: string;
  clientAppId: string;
  clientSecret: string;
  timeoutMs: number;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAtMs: number;
  email: string;
}

/** The ambiguous or unknown payment answers count as pending: only explicit outcomes are final. */
export type PaymentOutcome = 'pending' | 'confirmed' | 'error';

const UPSTREAM = 'parkingplus';

/** Typed Parking+Plus car-driver API client (seeds 000/001/002, research §1). */
export class ParkingPlusClient {
  constructor(private readonly settings: ParkingPlusSettings) {}

  passwordGrant(username: string, password: string): Promise<TokenSet> {
    return this.grant('/api/car_driver/token', { grant_type: 'password', username, password, ...this.app() });
  }

  facebookGrant(facebookAccessToken: string): Promise<TokenSet> {
    return this.grant('/api/car_driver/fo_users/logins/facebook2', { facebook_access_token: facebookAccessToken, ...this.app() });
  }

  /** Rotating: the refresh token is spent by this call; a spent or revoked one is AuthExpired. */
  refreshGrant(refreshToken: string): Promise<TokenSet> {
    return this.grant('/api/car_driver/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...this.app() });
  }

  /** Creates a pay-per-use session at a secured parking: the answer carries the entrance key. */
  async createSession(tokens: TokenSource, securedParkingId: number): Promise<CurrentSession> {
    const where = 'parkingplus create session';
    const res = await this.authorized(tokens, {
      method: 'POST',
      path: '/api/car_driver/parking_sessions',
      body: { parking_session: { secured_parking_id: securedParkingId } },
    });
    if (res.status !== 201 && res.status !== 200) rejectUpstream(where, res.status, res.body);
    return parseUpstream(CurrentSession, res.body, where);
  }

  /** The driver's open session, or undefined when there is none (404). */
  async currentSession(tokens: TokenSource): Promise<CurrentSession | undefined> {
    const where = 'parkingplus current session';
    const res = await this.authorized(tokens, { method: 'GET', path: '/api/car_driver/parking_sessions/current' });
    if (res.status === 404) return undefined;
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    return parseUpstream(CurrentSession, res.body, where);
  }

  /** Finalizes (idempotent per session upstream): pay_url, amount and the exit key. */
  async finalize(tokens: TokenSource, sessionId: number, securedParkingId: number): Promise<FinalizedSession> {
    const where = 'parkingplus finalize';
    const res = await this.authorized(tokens, {
      method: 'PUT',
      path: `/api/car_driver/parking_sessions/${sessionId}/finalize`,
      body: { parking_session: { secured_parking_id: securedParkingId } },
    });
    if (res.status !== 201 && res.status !== 200) rejectUpstream(where, res.status, res.body);
    return parseUpstream(FinalizedSession, res.body, where);
  }

  /** One page of the driver's finalized sessions (research §1: paginated, with payment_status). */
  async sessionTransactions(tokens: TokenSource, page: number): Promise<SessionTransactions> {
    const where = 'parkingplus session transactions';
    const res = await this.authorized(tokens, { method: 'GET', path: `/api/car_driver/parking_session_transactions?page=${page}` });
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    return parseUpstream(SessionTransactions, res.body, where);
  }

  async paymentStatus(tokens: TokenSource, orderId: string): Promise<PaymentOutcome> {
    const where = 'parkingplus payment status';
    const res = await this.authorized(tokens, { method: 'GET', path: `/api/payment/status?id=${encodeURIComponent(orderId)}` });
    if (res.status !== 200) rejectUpstream(where, res.status, res.body);
    const { status } = parseUpstream(PaymentStatus, res.body, where);
    return status === 'confirmed' ? 'confirmed' : status === 'error' ? 'error' : 'pending';
  }

  private app() {
    return { client_app_id: this.settings.clientAppId, client_secret: this.settings.clientSecret };
  }

  private async grant(path: string, body: Record<string, string>): Promise<TokenSet> {
    const where = `parkingplus ${body.grant_type ?? 'facebook2'} grant`;
    let res: UpstreamResponse;
    try {
      res = await this.send({ method: 'POST', path, body });
    } catch (err) {
      if (err instanceof UpstreamUnauthorized) throw ApplicationFailure.nonRetryable(`${where}: invalid_grant`, FailureType.AuthExpired);
      throw err;
    }
    if (res.status !== 200 && res.status !== 201) rejectUpstream(where, res.status, res.body);
    const { token_info, account_info } = parseUpstream(TokenResponse, res.body, where);
    return {
      accessToken: token_info.access_token,
      refreshToken: token_info.refresh_token,
      expiresAtMs: Date.now() + token_info.expires_in * 1000,
      email: account_info.email,
    };
  }

  /** One call with the account's bearer token (a 401 refreshes once, shared, then retries once). */
  private authorized(tokens: TokenSource, req: Omit<UpstreamRequest, 'upstream' | 'baseUrl' | 'timeoutMs'>): Promise<UpstreamResponse> {
    return withBearerToken(tokens, `parkingplus ${req.method} ${req.path}`, (authorization) =>
      this.send({ ...req, headers: { authorization } }),
    );
  }

  private send(req: Omit<UpstreamRequest, 'upstream' | 'baseUrl' | 'timeoutMs'>): Promise<UpstreamResponse> {
    return callUpstream({ ...req, upstream: UPSTREAM, baseUrl: this.settings.baseUrl, timeoutMs: this.settings.timeoutMs });
  }
}
