import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { parkingPlusAccount } from '../../src/workflows';
import { linkAccount } from '../../src/workflows/account-messages';

/** A Parking+Plus account workflow linked with fake sealed tokens (valid two hours) on `taskQueue`: its id. */
export async function linkedTestAccount(client: Client, taskQueue: string): Promise<string> {
  const accountId = `account-parkingplus-${randomUUID()}`;
  await client.workflow.executeUpdateWithStart(linkAccount, {
    args: [{ accessToken: 'sealed-access-0', refreshToken: 'sealed-refresh-0', expiresAtMs: Date.now() + 7_200_000 }],
    startWorkflowOperation: new WithStartWorkflowOperation(parkingPlusAccount, {
      workflowId: accountId,
      taskQueue,
      args: [{ accountId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    }),
  });
  return accountId;
}
