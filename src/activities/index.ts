import { type Client } from '@temporalio/client';
import { type Config } from '../config';
import { SecretBox } from '../domain/sealed';
import { EpxClient } from './epx/client';
import { createLinkcActivities } from './linkc/activities';
import { LinkcClient } from './linkc/client';
import { MobilPayClient } from './mobilpay/client';
import { AccountWorkflowVault } from './parkingplus/account-vault';
import { createParkingPlusActivities } from './parkingplus/activities';
import { ParkingPlusClient } from './parkingplus/client';
import { TokenSource } from './tokens';
import { createPaymentActivities } from './payments';

export interface ActivityDeps {
  config: Config;
  temporal: Client;
}

/** Every provider's activities, wired to its client. The worker registers the result. */
export function createActivities({ config, temporal }: ActivityDeps) {
  const box = new SecretBox(config.PARKFLOW_SECRET_KEY);
  const parkingPlus = parkingPlusClient(config);
  // One token source per account and process: concurrent activities share one refresh.
  const tokenSources = new Map<string, TokenSource>();
  const tokensFor = (accountId: string) => {
    let source = tokenSources.get(accountId);
    if (!source) tokenSources.set(accountId, (source = new TokenSource(new AccountWorkflowVault(temporal, accountId, box))));
    return source;
  };
  return {
    ...createParkingPlusActivities({ client: parkingPlus, tokensFor, box }),
    ...createLinkcActivities({ client: linkcClient(config) }),
    ...createPaymentActivities({ mobilpay: mobilPayClient(config), epx: epxClient(config), publicBaseUrl: config.PUBLIC_BASE_URL }),
  };
}

export function mobilPayClient(config: Config): MobilPayClient {
  return new MobilPayClient({ baseUrl: config.MOBILPAY_BASE_URL, apiKey: config.MOBILPAY_API_KEY, posSignature: config.MOBILPAY_POS_SIGNATURE, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
}

export function parkingPlusClient(config: Config): ParkingPlusClient {
  return new ParkingPlusClient({
    baseUrl: config.PARKINGPLUS_BASE_URL,
    clientAppId: config.PARKINGPLUS_CLIENT_APP_ID,
    clientSecret: config.PARKINGPLUS_CLIENT_SECRET,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
}

export function linkcClient(config: Config): LinkcClient {
  return new LinkcClient({ baseUrl: config.LINKC_BASE_URL, usuario: config.LINKC_USUARIO, senha: config.LINKC_SENHA, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
}

export function epxClient(config: Config): EpxClient {
  return new EpxClient({
    baseUrl: config.EPX_BASE_URL,
    mac: config.EPX_MAC,
    fourPartKey: { CUST_NBR: config.EPX_CUST_NBR, MERCH_NBR: config.EPX_MERCH_NBR, DBA_NBR: config.EPX_DBA_NBR, TERMINAL_NBR: config.EPX_TERMINAL_NBR },
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
}

export type Activities = ReturnType<typeof createActivities>;
