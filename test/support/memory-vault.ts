import { type ParkingPlusClient, type TokenSet } from '../../src/activities/parkingplus/client';
import { type AccessToken, type TokenVault } from '../../src/activities/tokens';

/** Keeps one account's tokens in memory and refreshes them upstream: the client tests' vault. */
export class MemoryVault implements TokenVault {
  refreshes = 0;
  constructor(
    private readonly client: ParkingPlusClient,
    public tokens: TokenSet,
  ) {}

  async current(): Promise<AccessToken> {
    return { token: this.tokens.accessToken, expiresAtMs: this.tokens.expiresAtMs };
  }

  async refresh(stale: string): Promise<AccessToken> {
    if (stale === this.tokens.accessToken) {
      this.refreshes += 1;
      this.tokens = await this.client.refreshGrant(this.tokens.refreshToken);
    }
    return this.current();
  }
}
