import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { EctorZoneActivities } from '../activities/ector/zones';
import { FailureType, NON_RETRYABLE_FAILURES } from '../domain/failures';
import { ectorZonesFetched, getEctorZones, type EctorZones } from './ector-zone-messages';
import { declareVersioning } from './versioning';

const { fetchEctorZones } = proxyActivities<EctorZoneActivities>({
  startToCloseTimeout: '1 minute',
  // An outage longer than this waits for the next day's run (or a trigger) instead of piling up.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});
const { publishEctorZones } = proxyActivities<EctorZoneActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** History events after which the idle cache continues as new (each refresh adds a handful). */
const HISTORY_LIMIT = 300;

export interface EctorZoneCacheInput {
  /** Carried over by continue-as-new. */
  state?: EctorZones;
  historyLimit?: number;
}

// Versioning: AUTO_UPGRADE. It lives for ever (continue-as-new): it moves to each new build, whose changes to
// it need patched() and a replay test.
declareVersioning(ectorZoneCache, 'AUTO_UPGRADE');
/** The zones as last fetched, for the API to query: one workflow, ECTOR_ZONE_CACHE_ID, living for ever. */
export async function ectorZoneCache(input: EctorZoneCacheInput = {}): Promise<void> {
  const state: EctorZones = input.state ?? { zones: [] };
  const historyLimit = input.historyLimit ?? HISTORY_LIMIT;

  setHandler(getEctorZones, () => state);
  setHandler(ectorZonesFetched, ({ zones, fetchedAt }) => {
    // A retried publish of an older fetch can arrive after a newer one: the newer stays.
    if (state.refreshedAt !== undefined && Date.parse(fetchedAt) <= Date.parse(state.refreshedAt)) return;
    state.zones = zones;
    state.refreshedAt = fetchedAt;
  });

  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof ectorZoneCache>({ state, historyLimit: input.historyLimit });
}

// Versioning: PINNED. One run lasts at most an hour (its fetch's schedule-to-close): it ends on its own build.
declareVersioning(refreshEctorZones, 'PINNED');
/** What the Schedule runs once a day: fetch Ector's zones, then hand them to the cache. */
export async function refreshEctorZones(): Promise<{ zones: number; fetchedAt: string }> {
  const zones = await fetchEctorZones();
  const fetchedAt = new Date().toISOString();
  if (zones.length === 0) {
    // An empty list is likelier a fault at Ector than no zones at all, and would refuse every booking.
    throw ApplicationFailure.nonRetryable('Ector answered no zones: the cached list is kept', FailureType.UpstreamContractViolation);
  }
  await publishEctorZones(zones, fetchedAt);
  return { zones: zones.length, fetchedAt };
}
