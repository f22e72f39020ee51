import { type Client } from '@temporalio/client';
import { type Config } from '../config';
import { SecretBox } from '../domain/sealed';
import { AccountWorkflowVault } from './parkingplus/account-vault';
import { createParkingPlusActivities } from './parkingplus/activities';
import { ParkingPlusClient } from './parkingplus/client';
import { TokenSource } from './parkingplus/tokens';

export interface ActivityDeps {
  config: Config;
  temporal: Client;
}

/** Every provider's activities, wired to its client. The worker registers the result. */
export function createActivities({ config, temporal }: ActivityDeps) {
  const box = new SecretBox(config.PARKFLOW_SECRET_KEY);
  const parkingPlus = new ParkingPlusClient({
    baseUrl: config.PARKINGPLUS_BASE_URL,
    clientAppId: config.PARKINGPLUS_CLIENT_APP_ID,
    clientSecret: config.PARKINGPLUS_CLIENT_SECRET,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
  // One token source per account and process: concurrent activities share one refresh.
  const tokenSources = new Map<string, TokenSource>();
  const tokensFor = (accountId: string) => {
    let source = tokenSources.get(accountId);
    if (!source) tokenSources.set(accountId, (source = new TokenSource(new AccountWorkflowVault(temporal, accountId, box))));
    return source;
  };
  return { ...createParkingPlusActivities({ client: parkingPlus, tokensFor, box }) };
}

export type Activities = ReturnType<typeof createActivities>;
