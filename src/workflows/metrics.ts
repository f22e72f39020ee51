import { metricMeter } from '@temporalio/workflow';

// What journeys and payments count, through the Temporal Runtime's meter (workflow code cannot
// reach prom-client). Counted when the workflow code runs for the first time, never on a replay;
// nothing goes into the history, so adding or changing a count needs no patch. The Runtime exposes
// them as parkflow_journey_transitions_total and parkflow_payment_outcomes_total (no `temporal_`
// prefix), with workflowType, taskQueue and namespace labels besides these.

/** A journey entered `state` (its first state included). */
export function countTransition(provider: string, state: string): void {
  metricMeter.createCounter('parkflow_journey_transitions', undefined, 'Journeys entering a state, by provider and state').add(1, {
    provider,
    state,
  });
}

/** A payment attempt ended: captured, declined, expired or refunded, by processor. */
export function countPaymentOutcome(processor: string, outcome: string): void {
  metricMeter.createCounter('parkflow_payment_outcomes', undefined, 'Payment attempts ended, by processor and outcome').add(1, {
    processor,
    outcome,
  });
}

/** A nightly reconciliation found differences: `count` of `kind` at `processor` (parkflow_reconciliation_differences_total). */
export function countReconciliationDifferences(kind: string, processor: string, count: number): void {
  metricMeter
    .createCounter('parkflow_reconciliation_differences', undefined, 'Differences the nightly reconciliation found, by kind and processor')
    .add(count, { kind, processor });
}
