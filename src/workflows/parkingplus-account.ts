import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ParkingPlusActivities } from '../activities/parkingplus/activities';
import { FailureType } from '../domain/failures';
import { awaitRelink, getAccessToken, getAccount, linkAccount, type AccountView, type SealedTokens } from './account-messages';
import { accountRelinked } from './messages';
import { isAuthFailure, Lock } from './support';
import { declareVersioning } from './versioning';

// One workflow per linked Parking+Plus account. It is the only place that spends a refresh
// token: every worker asks it for tokens by update, and it runs one refresh at a time, so two
// workers can never both spend the same rotating refresh token.

const { refreshParkingPlusTokens } = proxyActivities<ParkingPlusActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: [FailureType.AuthExpired] },
});

/** Refresh a little before expiry so callers never receive a token about to die. */
const REFRESH_AHEAD_MS = 60_000;

export interface AccountInput {
  accountId: string;
  /** State carried over continue-as-new. */
  carried?: { view: AccountView; tokens?: SealedTokens; waiting: string[] };
}

// Versioning: AUTO_UPGRADE. It lives as long as the account (continue-as-new), so a pinned one would keep
// its build running for ever; it moves to each new build, whose changes to it need patched() and a replay test.
declareVersioning(parkingPlusAccount, 'AUTO_UPGRADE');
export async function parkingPlusAccount(input: AccountInput): Promise<void> {
  const account = input.carried ?? {
    view: {
      accountId: input.accountId,
      provider: 'parkingplus',
      status: 'needs_relink',
      linkedAt: new Date().toISOString(),
      refreshes: 0,
    } as AccountView,
    tokens: undefined as SealedTokens | undefined,
    waiting: [] as string[],
  };
  const lock = new Lock();

  const tellRelinked = async (journeyId: string) => {
    try {
      await getExternalWorkflowHandle(journeyId).signal(accountRelinked);
    } catch (err) {
      log.info('journey no longer waits for the account', { journeyId, error: String(err) });
    }
  };

  setHandler(getAccount, () => account.view);

  setHandler(linkAccount, async (tokens) => {
    account.tokens = tokens;
    account.view = { ...account.view, status: 'linked', linkedAt: new Date().toISOString() };
    const waiting = account.waiting.splice(0);
    await Promise.all(waiting.map(tellRelinked));
    return account.view;
  });

  setHandler(getAccessToken, ({ stale }) =>
    lock.run(async () => {
      const tokens = account.tokens;
      if (account.view.status !== 'linked' || !tokens) {
        throw ApplicationFailure.nonRetryable(`account ${input.accountId} must be linked again`, FailureType.AuthExpired);
      }
      const refused = stale !== undefined && stale === tokens.accessToken;
      if (refused || tokens.expiresAtMs - REFRESH_AHEAD_MS <= Date.now()) {
        try {
          account.tokens = await refreshParkingPlusTokens({ refreshToken: tokens.refreshToken });
        } catch (err) {
          if (!isAuthFailure(err))
            throw ApplicationFailure.nonRetryable('token refresh failed; try again', FailureType.UpstreamUnavailable);
          account.view = { ...account.view, status: 'needs_relink' };
          throw ApplicationFailure.nonRetryable(`account ${input.accountId} must be linked again`, FailureType.AuthExpired);
        }
        account.view = { ...account.view, refreshedAt: new Date().toISOString(), refreshes: account.view.refreshes + 1 };
      }
      return { accessToken: account.tokens!.accessToken, expiresAtMs: account.tokens!.expiresAtMs };
    }),
  );

  setHandler(awaitRelink, async (journeyId) => {
    if (account.view.status === 'linked') await tellRelinked(journeyId);
    else if (!account.waiting.includes(journeyId)) account.waiting.push(journeyId);
  });

  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof parkingPlusAccount>({ accountId: input.accountId, carried: account });
}
