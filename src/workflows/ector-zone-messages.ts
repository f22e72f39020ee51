import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Zone } from '../activities/ector/booking';

// Ector's zones, fetched once a day (seed 004: GET /v3/zones "should be cached and updated once a
// day"): a Schedule runs refreshEctorZones, which hands the list to the one long-lived
// ectorZoneCache workflow; the API reads it from there by query.

/** The cache workflow's id: one per namespace. */
export const ECTOR_ZONE_CACHE_ID = 'ector-zones';
/** The Schedule that refreshes it (and the id prefix of the refresh runs it starts). */
export const ECTOR_ZONES_SCHEDULE_ID = 'ector-zones-refresh';

export interface EctorZones {
  zones: Zone[];
  /** When the cached list was fetched from Ector; absent until the first fetch. */
  refreshedAt?: string;
}

/** A list fetched from Ector and when: the cache keeps the most recently fetched one. */
export interface EctorZonesFetch {
  zones: Zone[];
  fetchedAt: string;
}

export const getEctorZones = defineQuery<EctorZones, []>('getEctorZones');
export const ectorZonesFetched = defineSignal<[EctorZonesFetch]>('ectorZonesFetched');
