import { FailureType } from '../../domain/failures';
import { refuseIfPast } from '../deadline';
import { type LinkcClient, type Stay, type StayLookup } from './client';

export function createLinkcActivities({ client }: { client: LinkcClient }) {
  return {
    async lookupLinkcStay(lookup: StayLookup): Promise<Stay> {
      return client.lookupStay(lookup);
    },

    /**
     * Registers the stay's payment with its transaction id — never once the id has expired. A
     * retry after an ambiguous answer submits the same id again: LinkC answers that it is used
     * (`already`) if the first try went through. Once the id has expired, the journey settles an
     * unanswered registration from the stay's valor_pago instead.
     */
    async registerLinkcPayment(input: { transaction: { id: string; validUntil: string } }): Promise<{ registered: 'now' | 'already' }> {
      refuseIfPast(
        input.transaction.validUntil,
        FailureType.TransactionExpired,
        'the transaction expired before it could be registered: not submitted',
      );
      const { registered } = await client.registerPayment(input.transaction.id);
      return { registered };
    },
  };
}

export type LinkcActivities = ReturnType<typeof createLinkcActivities>;
