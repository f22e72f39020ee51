import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { toMinorUnits } from '../../domain/money';
import { type LinkcClient, type Stay, type StayLookup } from './client';

export function createLinkcActivities({ client }: { client: LinkcClient }) {
  return {
    async lookupLinkcStay(lookup: StayLookup): Promise<Stay> {
      return client.lookupStay(lookup);
    },

    /**
     * Registers the stay's payment with its transaction id — never once the id has expired. LinkC
     * cannot deduplicate, so a retry (after an ambiguous timeout) first looks at the stay's
     * valor_pago: if it already grew by this payment, the first try went through.
     */
    async registerLinkcPayment(input: { lookup: StayLookup; transaction: { id: string; validUntil: string }; paidBefore: string; due: string }): Promise<{ registered: 'now' | 'already' }> {
      if (activityInfo().attempt > 1) {
        const stay = await client.lookupStay(input.lookup);
        if (toMinorUnits(stay.paid.value) >= toMinorUnits(input.paidBefore) + toMinorUnits(input.due)) return { registered: 'already' };
      }
      // The later of our clock and the server's (the attempt's scheduled time): never optimistic.
      const now = Math.max(Date.now(), activityInfo().currentAttemptScheduledTimestampMs);
      if (now >= Date.parse(input.transaction.validUntil)) {
        throw ApplicationFailure.nonRetryable('the transaction expired before it could be registered: not submitted', FailureType.TransactionExpired);
      }
      await client.registerPayment(input.transaction.id);
      return { registered: 'now' };
    },
  };
}

export type LinkcActivities = ReturnType<typeof createLinkcActivities>;
