import { type Client } from '@temporalio/client';
import { type Zone } from '../activities/ector/booking';
import { ECTOR_ZONE_CACHE_ID, getEctorZones, type EctorZones } from '../workflows/ector-zone-messages';
import { HttpProblem } from './problem';
import { isProblem, type TemporalCalls } from './temporal-calls';

/** The list changes once a day: a query every 30 s per API process is plenty. */
const TTL_MS = 30_000;
const LOADING_RETRY_AFTER_SECONDS = 5;

/** A list that has been fetched: refreshedAt is set. */
export type LoadedZones = Required<EctorZones>;

/** Ector's zones as the cache workflow holds them (see src/workflows/ector-zones.ts), read by query. */
export class EctorZoneCache {
  private last?: { value: LoadedZones; readAtMs: number };
  private reading?: Promise<LoadedZones>;

  constructor(
    private readonly temporal: Client,
    private readonly calls: TemporalCalls,
    private readonly ttlMs = TTL_MS,
  ) {}

  /** The zones and when they were fetched; a 503 problem while the first fetch has not landed. */
  async all(): Promise<LoadedZones> {
    if (this.last && Date.now() - this.last.readAtMs < this.ttlMs) return this.last.value;
    // Concurrent requests share one query.
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  async find(zoneId: string): Promise<Zone | undefined> {
    return (await this.all()).zones.find((zone) => zone.id === zoneId);
  }

  private async read(): Promise<LoadedZones> {
    let value: EctorZones;
    try {
      value = await this.calls.read(() => this.temporal.workflow.getHandle(ECTOR_ZONE_CACHE_ID).query(getEctorZones), 'zone cache');
    } catch (err) {
      if (isProblem(err, 404)) throw zonesLoading();
      // Temporal slow or away: yesterday's list is still right.
      if (this.last && isProblem(err, 503)) return this.last.value;
      throw err;
    }
    const { zones, refreshedAt } = value;
    if (refreshedAt === undefined) throw zonesLoading();
    this.last = { value: { zones, refreshedAt }, readAtMs: Date.now() };
    return this.last.value;
  }
}

function zonesLoading(): HttpProblem {
  return new HttpProblem(
    503,
    'Zones not loaded yet',
    'the Ector zones are being loaded; try again shortly',
    undefined,
    'zones-loading',
    LOADING_RETRY_AFTER_SECONDS,
  );
}
