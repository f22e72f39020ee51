import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// What operators filter journeys by in the Temporal Web UI, e.g.
//   JourneyProvider = "parkingplus" AND JourneyState = "awaiting_payment"
// Search attributes are never encrypted: no personal datum goes in one (the plate only as a keyed digest).
export const JourneyProvider = defineSearchAttributeKey('JourneyProvider', SearchAttributeType.KEYWORD);
export const JourneyState = defineSearchAttributeKey('JourneyState', SearchAttributeType.KEYWORD);
/** HMAC of the normalised plate under the service's key (src/domain/plate-key.ts); set by the API at the start. */
export const JourneyPlateKey = defineSearchAttributeKey('JourneyPlateKey', SearchAttributeType.KEYWORD);
export const JourneyReference = defineSearchAttributeKey('JourneyReference', SearchAttributeType.KEYWORD);
export const JourneyDeadline = defineSearchAttributeKey('JourneyDeadline', SearchAttributeType.DATETIME);
/** The backend service (tenant) the journey belongs to; set by the API at the start. */
export const JourneyTenant = defineSearchAttributeKey('JourneyTenant', SearchAttributeType.KEYWORD);
/**
 * The plate in clear, written only by journeys started before JourneyPlateKey (their replays still
 * write it); such a journey clears it at its next transition. Registered while one may carry it over
 * by continue-as-new.
 */
export const JourneyPlate = defineSearchAttributeKey('JourneyPlate', SearchAttributeType.KEYWORD);

// A payment attempt's workflow (payment-<journey id>.<n>): its processor and where it stands.
export const PaymentMethod = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);
export const PaymentStatus = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);

/** Every attribute parkflow's workflows write: `npm start` and `npm run search-attributes` register them. */
export const JOURNEY_SEARCH_ATTRIBUTES = [
  JourneyProvider,
  JourneyState,
  JourneyPlateKey,
  JourneyReference,
  JourneyDeadline,
  JourneyTenant,
  JourneyPlate,
  PaymentMethod,
  PaymentStatus,
];
