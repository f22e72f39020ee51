import { type Config } from '../config';
import { linkcJourney, parkingPlusJourney } from '../workflows';
import { type LinkcJourneyInput } from '../workflows/linkc-journey';
import { type ParkingPlusJourneyInput } from '../workflows/parkingplus-journey';
import { type CreateJourneyRequest } from './schemas';

// The thin routing table from a journey request to its provider's workflow.

export interface JourneyStart {
  workflowType: string;
  input: ParkingPlusJourneyInput | LinkcJourneyInput;
  /** The linked account the journey needs, if any. */
  accountId?: string;
}

export function journeyStart(request: CreateJourneyRequest, requestHash: string, config: Config): JourneyStart {
  const polling = { firstMs: config.JOURNEY_POLL_FIRST_MS, maxMs: config.JOURNEY_POLL_MAX_MS };
  switch (request.provider) {
    case 'parkingplus':
      return {
        workflowType: parkingPlusJourney.name,
        input: { accountId: request.accountId, securedParkingId: request.securedParkingId, plate: request.plate, requestHash, polling },
        accountId: request.accountId,
      };
    case 'linkc':
      return { workflowType: linkcJourney.name, input: { lookup: { localizador: request.localizador, placa: request.placa, parceiroId: request.parceiroId }, requestHash, polling } };
  }
}

/** Every journey workflow type, for listing through visibility. */
export const JOURNEY_WORKFLOW_TYPES = [parkingPlusJourney.name, linkcJourney.name];
