import { parkingPlusJourney } from '../workflows';
import { type ParkingPlusJourneyInput } from '../workflows/parkingplus-journey';
import { type Config } from '../config';
import { type CreateJourneyRequest } from './schemas';

// The thin routing table from a journey request to its provider's workflow.

type Route<R extends CreateJourneyRequest> = {
  workflow: typeof parkingPlusJourney;
  input(request: R, requestHash: string, config: Config): ParkingPlusJourneyInput;
  /** The linked account a journey needs, if any. */
  accountId?(request: R): string;
};

export const JOURNEY_ROUTES: { [P in CreateJourneyRequest['provider']]: Route<Extract<CreateJourneyRequest, { provider: P }>> } = {
  parkingplus: {
    workflow: parkingPlusJourney,
    input: (request, requestHash, config) => ({
      accountId: request.accountId,
      securedParkingId: request.securedParkingId,
      plate: request.plate,
      requestHash,
      polling: { firstMs: config.JOURNEY_POLL_FIRST_MS, maxMs: config.JOURNEY_POLL_MAX_MS },
    }),
    accountId: (request) => request.accountId,
  },
};
