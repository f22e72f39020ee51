import { activityInfo } from '@temporalio/activity';
import { type Client } from '@temporalio/client';
import type { ectorZoneCache } from '../../workflows/ector-zones';
import { ECTOR_ZONE_CACHE_ID, ectorZonesFetched } from '../../workflows/ector-zone-messages';
import { type Zone } from './booking';
import { type EctorClient } from './client';

// The two steps of the daily zone refresh (see src/workflows/ector-zones.ts).

export function createEctorZoneActivities({ client, temporal }: { client: EctorClient; temporal: Client }) {
  return {
    async fetchEctorZones(): Promise<Zone[]> {
      return client.listZones();
    },

    /** Hands the list to the cache workflow, starting it if it is not running (a fresh install, or after an operator ended it). */
    async publishEctorZones(zones: Zone[], fetchedAt: string = new Date().toISOString()): Promise<void> {
      await temporal.workflow.signalWithStart<typeof ectorZoneCache, [{ zones: Zone[]; fetchedAt: string }]>('ectorZoneCache', {
        workflowId: ECTOR_ZONE_CACHE_ID,
        taskQueue: activityInfo().taskQueue,
        args: [{}],
        signal: ectorZonesFetched,
        signalArgs: [{ zones, fetchedAt }],
      });
    },
  };
}

export type EctorZoneActivities = ReturnType<typeof createEctorZoneActivities>;
