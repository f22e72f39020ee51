import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { type SealedTokens } from '../../workflows/account-messages';
import { type ParkingPlusClient, type PaymentOutcome, type TokenSet } from './client';
import { type SessionTransaction } from './schemas';
import {
  endedSnapshot,
  finalizedSnapshot,
  sessionSnapshot,
  type ParkingPlusEnded,
  type ParkingPlusFinalized,
  type ParkingPlusSession,
} from './snapshot';
import { type TokenSource } from '../tokens';

export interface ParkingPlusDeps {
  client: ParkingPlusClient;
  tokensFor(accountId: string): TokenSource;
  box: SecretBox;
}

export function sealTokens(box: SecretBox, tokens: TokenSet): SealedTokens {
  return { accessToken: box.seal(tokens.accessToken), refreshToken: box.seal(tokens.refreshToken), expiresAtMs: tokens.expiresAtMs };
}

/** Pages of the driver's finalized sessions read before giving up (a reset run only). */
const MAX_TRANSACTION_PAGES = 20;

export function createParkingPlusActivities({ client, tokensFor, box }: ParkingPlusDeps) {
  /** The earliest of the driver's finalized sessions that `matches`, across pages (their order is not documented). */
  const firstTransactionSince = async (tokens: TokenSource, matches: (parkingId: number, startTime: string) => boolean) => {
    let first: SessionTransaction | undefined;
    for (let page = 1, pages = 1; page <= Math.min(pages, MAX_TRANSACTION_PAGES); page += 1) {
      const answer = await client.sessionTransactions(tokens, page);
      pages = answer.total_pages;
      for (const t of answer.parking_session_transactions) {
        if (matches(t.parking.id, t.start_time) && (!first || Date.parse(t.start_time) < Date.parse(first.start_time))) first = t;
      }
    }
    return first;
  };

  return {
    /**
     * Opens the journey's session at a secured parking. Parking+Plus cannot deduplicate creation,
     * so look up first: the driver's current session is the journey's own when it is at this
     * parking and started after the journey did. It is adopted in whatever state it is: entering
     * after a retry whose answer was lost; active or exiting in a run an operator reset to the
     * journey's start. Any other current session is refused (422).
     * A reset run (`resetRun`) also reads the driver's finalized sessions: when the journey's own
     * one is there and no longer current, it has ended (paid, the car left) and nothing is created.
     */
    async openParkingPlusSession(input: {
      accountId: string;
      securedParkingId: number;
      journeyStartedAt: string;
      resetRun?: boolean;
    }): Promise<ParkingPlusSession | ParkingPlusEnded> {
      const tokens = tokensFor(input.accountId);
      const current = await client.currentSession(tokens);
      const notBefore = Date.parse(input.journeyStartedAt) - 1000;
      const atThisParkingSince = (parkingId: number, startTime: string) =>
        parkingId === input.securedParkingId && Date.parse(startTime) >= notBefore;
      if (input.resetRun) {
        const ended = await firstTransactionSince(tokens, atThisParkingSince);
        // One session at a time: the journey's is the first one since it started; a later one is another journey's.
        if (ended && (!current || Date.parse(current.parking_session.start_time) > Date.parse(ended.start_time))) {
          if (ended.payment_status === 'confirmed') return endedSnapshot(ended);
          throw ApplicationFailure.nonRetryable(
            `the journey's parking session already ended at Parking+Plus (payment ${ended.payment_status})`,
            FailureType.UpstreamRejected,
            { status: 422 },
          );
        }
      }
      if (current) {
        if (atThisParkingSince(current.smart_key.secured_parking_id, current.parking_session.start_time)) return sessionSnapshot(current);
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
    async finalizeParkingPlusSession(input: {
      accountId: string;
      sessionId: number;
      securedParkingId: number;
    }): Promise<ParkingPlusFinalized> {
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
