import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

// An upstream account linked to parkflow: one long-lived workflow per account keeps its tokens
// (sealed) and is the only place that refreshes them.

/** Tokens as they travel through Temporal: sealed with the service key (see src/domain/sealed.ts). */
export interface SealedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAtMs: number;
}

export interface SealedAccessToken {
  accessToken: string;
  expiresAtMs: number;
}

export interface AccountView {
  accountId: string;
  provider: 'parkingplus';
  status: 'linked' | 'needs_relink';
  linkedAt: string;
  refreshedAt?: string;
  refreshes: number;
}

export const linkAccount = defineUpdate<AccountView, [SealedTokens]>('link');
/** The current access token; `stale` (the sealed token an upstream refused) forces a refresh unless it is already replaced. */
export const getAccessToken = defineUpdate<SealedAccessToken, [{ stale?: string }]>('accessToken');
/** A journey in needs_reauth asks to be told when the account is linked again. */
export const awaitRelink = defineSignal<[string]>('awaitRelink');
export const getAccount = defineQuery<AccountView, []>('account');
