import { activityInfo } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { type PaymentView } from '../workflows/messages';
import { openPayment, paymentOrderId, paymentWorkflowId, type PaymentInput } from '../workflows/payment-messages';

// Opens a payment attempt's workflow by Update-with-Start with USE_EXISTING: the attempt that
// already exists — after a retry, a race or an operator's reset — answers instead of a second one.

export function createPaymentAttemptActivities({ temporal }: { temporal: Client }) {
  return {
    async openPaymentAttempt(input: PaymentInput): Promise<PaymentView> {
      const workflowId = paymentWorkflowId(paymentOrderId(input.journeyId, input.attempt));
      try {
        return await temporal.workflow.executeUpdateWithStart(openPayment, {
          startWorkflowOperation: new WithStartWorkflowOperation('payment', {
            workflowId,
            taskQueue: activityInfo().taskQueue,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          }),
        });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          throw ApplicationFailure.nonRetryable(err.cause?.message ?? 'the payment could not be opened', FailureType.UpstreamRejected);
        }
        throw err;
      }
    },
  };
}

export type PaymentAttemptActivities = ReturnType<typeof createPaymentAttemptActivities>;
