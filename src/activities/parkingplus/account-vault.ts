import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { getAccessToken, type SealedAccessToken } from '../../workflows/account-messages';
import { type AccessToken, type TokenVault } from '../tokens';

/** Tokens from the account workflow, which serialises refreshes across every worker. */
export class AccountWorkflowVault implements TokenVault {
  private last?: { plain: string; sealed: string };

  constructor(
    private readonly temporal: Client,
    private readonly accountId: string,
    private readonly box: SecretBox,
  ) {}

  current(): Promise<AccessToken> {
    return this.ask({});
  }

  refresh(stale: string): Promise<AccessToken> {
    // Only the sealed form of the refused token lets the account workflow recognise it.
    return this.ask(this.last?.plain === stale ? { stale: this.last.sealed } : {});
  }

  private async ask(request: { stale?: string }): Promise<AccessToken> {
    let answer: SealedAccessToken;
    try {
      answer = await this.temporal.workflow.getHandle(this.accountId).executeUpdate(getAccessToken, { args: [request] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw ApplicationFailure.nonRetryable(`account ${this.accountId} is not linked`, FailureType.AccountNotLinked);
      }
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === FailureType.AuthExpired
      ) {
        throw ApplicationFailure.nonRetryable(`account ${this.accountId} must be linked again`, FailureType.AuthExpired);
      }
      throw err;
    }
    const plain = this.box.open(answer.accessToken);
    this.last = { plain, sealed: answer.accessToken };
    return { token: plain, expiresAtMs: answer.expiresAtMs };
  }
}
