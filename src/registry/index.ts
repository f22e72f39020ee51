// The provider registry: one row per parking operator and one per card processor. Everything
// that lists providers (requests, workflows, activities, configuration, simulators) reads it.
export * from './operators';
export * from './processors';
export type { JourneyContext, OperatorRow, ProcessorRow, RowConfig, Simulator } from './rows';
