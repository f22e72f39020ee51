import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { UpstreamUnauthorized } from './http';

// Access tokens for one upstream credential, refreshed on demand. Everything that refreshes goes
// through one TokenSource per credential and process, which shares one in-flight refresh among all
// concurrent callers; across processes the account workflow serialises refreshes (see
// src/workflows/parkingplus-account.ts), so a rotating refresh token is never spent twice.

export interface AccessToken {
  token: string;
  expiresAtMs: number;
}

/** Where tokens come from: the account workflow in production, memory in client tests. */
export interface TokenVault {
  current(): Promise<AccessToken>;
  /** A token newer than `stale`: refreshes upstream unless someone already did. */
  refresh(stale: string): Promise<AccessToken>;
}

const EXPIRY_SKEW_MS = 30_000;

export class TokenSource {
  private cached?: AccessToken;
  private inFlight?: Promise<AccessToken>;

  constructor(
    private readonly vault: TokenVault,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<string> {
    if (this.cached && this.cached.expiresAtMs - EXPIRY_SKEW_MS > this.now()) return this.cached.token;
    return (await this.once(() => this.vault.current())).token;
  }

  /** Called after a 401 with the token that was refused. */
  async refreshed(stale: string): Promise<string> {
    if (this.cached && this.cached.token !== stale) return this.cached.token;
    return (await this.once(() => this.vault.refresh(stale))).token;
  }

  forget(): void {
    this.cached = undefined;
  }

  private once(load: () => Promise<AccessToken>): Promise<AccessToken> {
    this.inFlight ??= load()
      .then((token) => (this.cached = token))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}

/**
 * One upstream call with a bearer token. On a 401: a refresh (shared by concurrent callers), then a
 * retry. The token the vault hands over may be one it already had (another process refreshed, or the
 * account was linked again) rather than a fresh one: refused too, it is refreshed once more, so that
 * a dead credential is found dead where it is kept. A token refreshed and still refused means the
 * credential is dead.
 */
export async function withBearerToken<T>(tokens: TokenSource, where: string, send: (authorization: string) => Promise<T>): Promise<T> {
  let token = await tokens.current();
  for (let refreshes = 0; ; refreshes++) {
    try {
      return await send(`Bearer ${token}`);
    } catch (err) {
      if (!(err instanceof UpstreamUnauthorized)) throw err;
    }
    if (refreshes === 2) {
      tokens.forget();
      throw ApplicationFailure.nonRetryable(`${where}: refused a freshly refreshed token`, FailureType.AuthExpired);
    }
    token = await tokens.refreshed(token);
  }
}
