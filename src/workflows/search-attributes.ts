import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// What operators filter journeys by in the Temporal Web UI, e.g.
//   JourneyProvider = "parkingplus" AND JourneyState = "awaiting_payment"
export const JourneyProvider = defineSearchAttributeKey('JourneyProvider', SearchAttributeType.KEYWORD);
export const JourneyState = defineSearchAttributeKey('JourneyState', SearchAttributeType.KEYWORD);
export const JourneyPlate = defineSearchAttributeKey('JourneyPlate', SearchAttributeType.KEYWORD);
export const JourneyReference = defineSearchAttributeKey('JourneyReference', SearchAttributeType.KEYWORD);
export const JourneyDeadline = defineSearchAttributeKey('JourneyDeadline', SearchAttributeType.DATETIME);
/** The backend service (tenant) the journey belongs to; set by the API at the start. */
export const JourneyTenant = defineSearchAttributeKey('JourneyTenant', SearchAttributeType.KEYWORD);

export const JOURNEY_SEARCH_ATTRIBUTES = [JourneyProvider, JourneyState, JourneyPlate, JourneyReference, JourneyDeadline, JourneyTenant];
