// The worker's workflowsPath: every workflow type parkflow runs.
export { parkingPlusAccount } from './parkingplus-account';
export { parkingPlusJourney } from './parkingplus-journey';
export { linkcJourney } from './linkc-journey';
export { payment } from './payment';
export { ectorJourney } from './ector-journey';
export { ectorZoneCache, refreshEctorZones } from './ector-zones';
export { reconciliation } from './reconciliation';
