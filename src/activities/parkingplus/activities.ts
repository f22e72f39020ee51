import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { type SealedTokens } from '../../workflows/account-messages';
import { type ParkingPlusClient, type PaymentOutcome, type TokenSet } from './client';
import { finalizedSnapshot, sessionSnapshot, type ParkingPlusFinalized, type ParkingPlusSession } from './snapshot';
import { type TokenSource } from '../tokens';

export interface ParkingPlusDeps {
  client: ParkingPlusClient;
  tokensFor(accountId: string): TokenSource;
  box: SecretBox;
}

export function sealTokens(box: SecretBox, tokens: TokenSet): SealedTokens {
  return { accessToken: box.seal(tokens.accessToken), refreshToken: box.seal(tokens.refreshToken), expiresAtMs: tokens.expiresAtMs };
}

export function createParkingPlusActivities({ client, tokensFor, box }: ParkingPlusDeps) {
  return {
    /**
     * Opens the journey's session at a secured parking. Parking+Plus cannot deduplicate creation,
     * so look up first: a retry after a lost answer adopts the entering session the first try
     * created (it started after the journey did) instead of being refused with 422.
     */
    async openParkingPlusSession(input: { accountId: string; securedParkingId: number; journeyStartedAt: string }): Promise<ParkingPlusSession> {
      const tokens = tokensFor(input.accountId);
      const current = await client.currentSession(tokens);
      if (current) {
        const ours =
          current.parking_session.state === 'entering' &&
          current.smart_key.secured_parking_id === input.securedParkingId &&
          Date.parse(current.parking_session.start_time) >= Date.parse(input.journeyStartedAt) - 1000;
        if (ours) return sessionSnapshot(current);
        throw ApplicationFailure.nonRetryable(
          `the driver already has a parking session in progress (${current.parking_session.state})`,
          FailureType.UpstreamRejected,
          { status: 422 },
        );
      }
      return sessionSnapshot(await client.createSession(tokens, input.securedParkingId));
    },

    /** The session as Parking+Plus sees it now; undefined once it is closed (no longer current). */
    async readParkingPlusSession(input: { accountId: string; sessionId: number }): Promise<ParkingPlusSession | undefined> {
      const current = await client.currentSession(tokensFor(input.accountId));
      return current && current.parking_session.id === input.sessionId ? sessionSnapshot(current) : undefined;
    },

    /** Idempotent upstream: finalizing again returns the same order and, if it lapsed, a fresh exit key. */
    async finalizeParkingPlusSession(input: { accountId: string; sessionId: number; securedParkingId: number }): Promise<ParkingPlusFinalized> {
      return finalizedSnapshot(await client.finalize(tokensFor(input.accountId), input.sessionId, input.securedParkingId));
    },

    async parkingPlusPaymentStatus(input: { accountId: string; orderId: string }): Promise<PaymentOutcome> {
      return client.paymentStatus(tokensFor(input.accountId), input.orderId);
    },

    /** Spends the account's refresh token (rotation): only the account workflow calls this. */
    async refreshParkingPlusTokens(input: { refreshToken: string }): Promise<SealedTokens> {
      return sealTokens(box, await client.refreshGrant(box.open(input.refreshToken)));
    },
  };
}

export type ParkingPlusActivities = ReturnType<typeof createParkingPlusActivities>;
