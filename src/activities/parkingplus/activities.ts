import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { type SealedTokens } from '../../workflows/account-messages';
import { type ParkingPlusClient, type PaymentOutcome, type TokenSet } from './client';
import { type CurrentSession, type SessionTransaction } from './schemas';
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
  /** The session id a journey recorded before an operator reset it (see reset-lookup.ts). */
  sessionBeforeReset?(execution: { workflowId: string; runId: string }): Promise<number | undefined>;
  /**
   * Where drivers' browsers reach parkflow (PUBLIC_BASE_URL): the pay_url a journey hands out carries
   * `${publicBaseUrl}/v1/returns/parkingplus/<journeyId>` as its Base64 return_url. Without it, pay_url is passed as is.
   */
  publicBaseUrl?: string;
}

/** The journey's return route, where Parking+Plus's pay page sends the driver back (with `?id=<order>`). */
export function parkingPlusReturnUrl(publicBaseUrl: string, journeyId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/v1/returns/parkingplus/${encodeURIComponent(journeyId)}`;
}

/** What an attempt of openParkingPlusSession records for the next one: when it first asked for a session, and the session created. */
interface OpenedSession {
  /** Set before the first create request (the driver had no session then): a later attempt knows a create went unanswered. */
  creatingSince?: string;
  sessionId?: number;
}

/**
 * A create whose answer was lost (a timeout, a worker killed mid-call) may still have opened the
 * session. The attempt that sent it had seen no session of the driver just before (it records
 * `creatingSince` only then), so a session now at the entrance of the same parking is that one.
 * Any other session (another parking, past its entrance) stays another's. No clocks are compared:
 * Parking+Plus's may differ from ours.
 */
function createdByAnUnansweredAttempt(current: CurrentSession, earlier: OpenedSession | undefined, securedParkingId: number): boolean {
  return (
    earlier?.creatingSince !== undefined &&
    current.parking_session.state === 'entering' &&
    current.smart_key.secured_parking_id === securedParkingId
  );
}

export function sealTokens(box: SecretBox, tokens: TokenSet): SealedTokens {
  return { accessToken: box.seal(tokens.accessToken), refreshToken: box.seal(tokens.refreshToken), expiresAtMs: tokens.expiresAtMs };
}

/** Pages of the driver's finalized sessions read before giving up (a reset run only). */
const MAX_TRANSACTION_PAGES = 20;

export function createParkingPlusActivities({ client, tokensFor, box, sessionBeforeReset, publicBaseUrl }: ParkingPlusDeps) {
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
     * Opens the journey's session at a secured parking. Parking+Plus keeps one open session per
     * driver and has no field for a client reference, so a session is the journey's own only when
     * the journey recorded its id: an earlier attempt of this activity (its heartbeat, sent as soon
     * as Parking+Plus created the session; or, when that create was never answered, the session
     * opened since at this parking's entrance), or, in a run an operator reset (`resetRun`), the run
     * it was reset from (its reference). The journey's own session is adopted in whatever state it is.
     * Any other open session of the driver — another journey's, a cancelled one's, one opened in
     * the Parking+Plus app — refuses the start (422): a session belongs to exactly one journey.
     * A reset run whose session is no longer current looks among the driver's finalized sessions:
     * there, it has ended (paid, the car left) and nothing is created.
     */
    async openParkingPlusSession(input: {
      accountId: string;
      securedParkingId: number;
      journeyStartedAt: string;
      resetRun?: boolean;
    }): Promise<ParkingPlusSession | ParkingPlusEnded> {
      const tokens = tokensFor(input.accountId);
      const { heartbeatDetails, workflowExecution } = Context.current().info;
      const earlier = input.resetRun ? undefined : (heartbeatDetails as OpenedSession | undefined);
      const own = input.resetRun && workflowExecution ? await sessionBeforeReset?.(workflowExecution) : earlier?.sessionId;
      const current = await client.currentSession(tokens);
      if (current && own !== undefined && current.parking_session.id === own) return sessionSnapshot(current);
      if (current && own === undefined && createdByAnUnansweredAttempt(current, earlier, input.securedParkingId)) {
        Context.current().heartbeat({ ...earlier, sessionId: current.parking_session.id } satisfies OpenedSession);
        return sessionSnapshot(current);
      }
      if (input.resetRun && own !== undefined) {
        // One session at a time: the journey's is the first at this parking since it started (start times are whole seconds).
        const notBefore = Date.parse(input.journeyStartedAt) - 1000;
        const ended = await firstTransactionSince(
          tokens,
          (parkingId, startTime) => parkingId === input.securedParkingId && Date.parse(startTime) >= notBefore,
        );
        if (ended?.payment_status === 'confirmed') return endedSnapshot(ended);
        if (ended) {
          throw ApplicationFailure.nonRetryable(
            `the journey's parking session already ended at Parking+Plus (payment ${ended.payment_status})`,
            FailureType.UpstreamRejected,
            { status: 422 },
          );
        }
      }
      if (current) {
        throw ApplicationFailure.nonRetryable(
          `the driver already has a parking session in progress (${current.parking_session.state}) that is not this journey's`,
          FailureType.UpstreamRejected,
          { status: 422 },
        );
      }
      const creatingSince = earlier?.creatingSince ?? new Date().toISOString();
      Context.current().heartbeat({ creatingSince } satisfies OpenedSession);
      const created = await client.createSession(tokens, input.securedParkingId);
      Context.current().heartbeat({ creatingSince, sessionId: created.parking_session.id } satisfies OpenedSession);
      return sessionSnapshot(created);
    },

    /** The session as Parking+Plus sees it now; undefined once it is closed (no longer current). */
    async readParkingPlusSession(input: { accountId: string; sessionId: number }): Promise<ParkingPlusSession | undefined> {
      const current = await client.currentSession(tokensFor(input.accountId));
      return current && current.parking_session.id === input.sessionId ? sessionSnapshot(current) : undefined;
    },

    /**
     * Idempotent upstream: finalizing again returns the same order and, if it lapsed, a fresh exit key.
     * Only journeys call it: the calling workflow's id names the journey the driver returns to.
     */
    async finalizeParkingPlusSession(input: {
      accountId: string;
      sessionId: number;
      securedParkingId: number;
    }): Promise<ParkingPlusFinalized> {
      const finalized = await client.finalize(tokensFor(input.accountId), input.sessionId, input.securedParkingId);
      const journeyId = Context.current().info.workflowExecution?.workflowId;
      return finalizedSnapshot(finalized, publicBaseUrl && journeyId ? parkingPlusReturnUrl(publicBaseUrl, journeyId) : undefined);
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
