// The worker's workflowsPath: every workflow type parkflow runs.
export { parkingPlusAccount } from './parkingplus-account';
export { parkingPlusJourney } from './parkingplus-journey';
export { linkcJourney } from './linkc-journey';
export { payment } from './payment';
export { ectorJourney } from './ector-journey';
export { ectorZoneCache, refreshEctorZones } from './ector-zones';
export { eventStream } from './event-stream';
export { subscriptions } from './subscriptions';
export { reconciliation } from './reconciliation';
