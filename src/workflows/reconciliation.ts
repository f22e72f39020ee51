import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { PaymentActivities } from '../activities/payments';
import type { EventActivities } from '../activities/subscribers/activities';
import type { ReconciliationActivities } from '../activities/reconciliation/activities';
import { NON_RETRYABLE_FAILURES } from '../domain/failures';
import { countByKind, emptyBatch, mergeBatch, type Difference, type ReconciliationReport } from '../reconciliation/compare';
import { dayBefore, RECONCILIATION_TIME_ZONE } from '../reconciliation/day';
import { countReconciliationDifferences } from './metrics';
import { type ReconciliationInput } from './reconciliation-messages';
import { declareVersioning } from './versioning';

// The nightly reconciliation of a day: page through the journeys that ran during it, compare each
// one's orders at the processors with its attempts and its operator's booking (in batches: one
// activity per page, so the history stays small whatever the day holds), refund what the rule
// makes clear (a capture of a superseded attempt while another attempt is kept), and answer with
// the report. Everything else is reported only.

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
};
const { listReconciliationJourneys } = proxyActivities<ReconciliationActivities>({ startToCloseTimeout: '1m', retry });
const { reconcileJourneys } = proxyActivities<ReconciliationActivities>({ startToCloseTimeout: '15m', heartbeatTimeout: '1m', retry });
/** The same refund a payment attempt makes: down to what the order should keep (nothing), by the processor's record. */
const { refundPayment } = proxyActivities<PaymentActivities>({ startToCloseTimeout: '20s', scheduleToCloseTimeout: '10m', retry });

/** Each difference goes to its journey's tenant's subscribers as a reconciliation.difference event. */
const { announceDifferences } = proxyActivities<EventActivities>({ startToCloseTimeout: '1m', retry });

/** Differences listed in the report beyond which they are only counted (the result stays well under the payload limit). */
const LISTED_DIFFERENCES = 500;
/** Set by the Schedule on each run it starts. */
const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// Versioning: PINNED. A run is short and judges a day start to end with one code.
declareVersioning(reconciliation, 'PINNED');
export async function reconciliation(input: ReconciliationInput = {}): Promise<ReconciliationReport> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(ScheduledStartTime);
  const day = input.day ?? dayBefore(scheduledAt?.getTime() ?? Date.now());
  const total = emptyBatch();
  const seen = new Set<string>();
  let pageToken: string | undefined;
  do {
    const page = await listReconciliationJourneys({ day, pageToken });
    const journeyIds = page.journeyIds.filter((id) => !seen.has(id));
    journeyIds.forEach((id) => seen.add(id));
    if (journeyIds.length) mergeBatch(total, await reconcileJourneys({ journeyIds }));
    pageToken = page.nextPageToken;
  } while (pageToken);

  let compensated = 0;
  for (const difference of total.differences) {
    if (!difference.compensable || difference.processor === 'operator' || !difference.order || !difference.found) continue;
    await refundPayment({
      method: difference.processor,
      orderId: difference.order,
      amount: difference.found,
      description: `reconciliation of ${day}: ${difference.why}`,
      keep: '0.00',
    });
    difference.compensated = true;
    compensated += 1;
  }

  const byKind = countByKind(total.differences);
  countDifferences(total.differences);
  if (total.differences.length > 0) await announceDifferences({ day, differences: total.differences });
  return {
    day,
    timeZone: RECONCILIATION_TIME_ZONE,
    processors: total.processors,
    checked: total.checked,
    byKind,
    compensated,
    differences: total.differences.slice(0, LISTED_DIFFERENCES),
    unlisted: Math.max(0, total.differences.length - LISTED_DIFFERENCES),
  };
}

function countDifferences(differences: Difference[]): void {
  const counts = new Map<string, { kind: string; processor: string; count: number }>();
  for (const d of differences) {
    const key = `${d.kind}/${d.processor}`;
    const entry = counts.get(key) ?? { kind: d.kind, processor: d.processor, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  for (const { kind, processor, count } of counts.values()) countReconciliationDifferences(kind, processor, count);
}
