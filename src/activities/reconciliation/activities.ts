import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
import { toMinorUnits } from '../../domain/money';
import {
  addRecords,
  compareJourney,
  emptyBatch,
  PROCESSORS,
  type AttemptRecord,
  type BatchResult,
  type OperatorBooking,
  type Processor,
  type ProcessorRecord,
} from '../../reconciliation/compare';
import { dayBounds } from '../../reconciliation/day';
import { getJourney, type JourneyView } from '../../workflows/messages';
import { getPayment, paymentOrderId, paymentWorkflowId } from '../../workflows/payment-messages';
import { JourneyProvider } from '../../workflows/search-attributes';
import { type EctorClient } from '../ector/client';
import { type EpxClient } from '../epx/client';
import { type LinkcClient } from '../linkc/client';
import { type MobilPayClient } from '../mobilpay/client';
import { type ProcessorStatus } from '../payment-status';

// The reconciliation's readers. The processors' records are read only as a real processor offers
// them: the status of an order id. So the orders come from Temporal: the day's journeys (those
// that ran during it), each with its attempts `<journey id>.1..n` and one past the last (an order
// opened that no attempt recorded). Parking+Plus charges on its own page: its journeys hold no
// order at our processors and are not listed.

export interface ReconciliationDeps {
  temporal: Client;
  mobilpay: MobilPayClient;
  epx: EpxClient;
  ector: EctorClient;
  linkc: LinkcClient;
}

/** Journeys per page: each page is one reconcileJourneys activity. */
const PAGE_SIZE = 100;
const PROVIDERS_PAID_BY_US = ['ector', 'linkc'];

export function createReconciliationActivities({ temporal, mobilpay, epx, ector, linkc }: ReconciliationDeps) {
  const statusAt = (processor: Processor, order: string): Promise<ProcessorStatus> =>
    processor === 'mobilpay' ? mobilpay.status(order) : epx.status(order);

  const record = async (processor: Processor, order: string): Promise<ProcessorRecord> => {
    const status = await statusAt(processor, order);
    const moved = status.state === 'captured' || status.state === 'refunded';
    return {
      order,
      processor,
      capturedMinor: moved && status.captured ? toMinorUnits(status.captured) : 0,
      refundedMinor: moved && status.refunded ? toMinorUnits(status.refunded) : 0,
      ...(status.currency && { currency: status.currency }),
    };
  };

  /** The attempt's workflow, as it shows its payment; undefined when it never existed. */
  const attemptOf = async (order: string): Promise<AttemptRecord | undefined> => {
    try {
      const view = await temporal.workflow.getHandle(paymentWorkflowId(order)).query(getPayment);
      if (view.method !== 'mobilpay' && view.method !== 'epx') return undefined;
      return { order, processor: view.method, status: view.status, ...(view.amount && { amount: view.amount }) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };

  const bookingOf = async (view: JourneyView): Promise<OperatorBooking> => {
    if (view.provider === 'ector') {
      const paid = (await ector.findBookings(view.id)).filter((b) => b.status === 'paid');
      if (!paid.length) return null;
      return { amountMinor: paid.reduce((sum, b) => sum + toMinorUnits(b.total.value), 0), currency: paid[0]!.total.currency };
    }
    const localizador = view.upstream.localizador;
    if (localizador === undefined) return null;
    try {
      const stay = await linkc.lookupStay({ localizador: String(localizador) });
      return { amountMinor: toMinorUnits(stay.paid.value), currency: stay.paid.currency };
    } catch (err) {
      // The car left: LinkC no longer shows the stay, so what it booked cannot be read back.
      if (err instanceof ApplicationFailure && err.type === FailureType.UpstreamNotFound) return 'unverifiable';
      throw err;
    }
  };

  return {
    /** A page of the journeys that ran during the day (started before its end, running or closed after its start). */
    async listReconciliationJourneys(input: {
      day: string;
      pageToken?: string;
    }): Promise<{ journeyIds: string[]; nextPageToken?: string }> {
      const { start, end } = dayBounds(input.day);
      const providers = PROVIDERS_PAID_BY_US.map((p) => `'${p}'`).join(', ');
      const query =
        `${JourneyProvider.name} IN (${providers}) AND StartTime < '${end}' AND ` +
        `(ExecutionStatus = 'Running' OR CloseTime >= '${start}')`;
      const answer = await temporal.workflowService.listWorkflowExecutions({
        namespace: temporal.options.namespace,
        query,
        pageSize: PAGE_SIZE,
        nextPageToken: input.pageToken ? Buffer.from(input.pageToken, 'base64') : undefined,
      });
      // A journey that continued as new is listed once per run.
      const journeyIds = [...new Set((answer.executions ?? []).map((e) => e.execution?.workflowId ?? '').filter(Boolean))];
      const token = answer.nextPageToken?.length ? Buffer.from(answer.nextPageToken).toString('base64') : undefined;
      return { journeyIds, ...(token && { nextPageToken: token }) };
    },

    /** Each journey's orders at the processors, its attempts and its booking, compared (compareJourney). */
    async reconcileJourneys(input: { journeyIds: string[] }): Promise<BatchResult> {
      const batch = emptyBatch();
      for (const journeyId of input.journeyIds) {
        Context.current().heartbeat(journeyId);
        const view = await temporal.workflow.getHandle(journeyId).query(getJourney);
        const latest = view.payment?.paymentId;
        const last = latest?.startsWith(`${journeyId}.`) ? Number(latest.slice(journeyId.length + 1)) : 0;
        const attempts: AttemptRecord[] = [];
        const records: ProcessorRecord[] = [];
        for (let n = 1; n <= (Number.isSafeInteger(last) ? last : 0) + 1; n++) {
          const order = paymentOrderId(journeyId, n);
          const attempt = await attemptOf(order);
          if (attempt) attempts.push(attempt);
          // An order no attempt records may be at either processor.
          for (const processor of attempt ? [attempt.processor] : PROCESSORS) {
            const found = await record(processor, order);
            if (attempt || found.capturedMinor > 0) records.push(found);
          }
        }
        const booking = await bookingOf(view);
        batch.checked.journeys += 1;
        batch.checked.orders += records.length;
        if (booking === 'unverifiable') batch.checked.bookingsUnverifiable += 1;
        else if (booking) batch.checked.bookings += 1;
        addRecords(batch, records, view.amount?.currency);
        batch.differences.push(...compareJourney({ journeyId, state: view.state, attempts, records, booking }));
      }
      return batch;
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
