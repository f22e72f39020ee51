import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import { sealTokens } from '../../activities/parkingplus/activities';
import { type ParkingPlusClient, type TokenSet } from '../../activities/parkingplus/client';
import { type Config } from '../../config';
import { FailureType } from '../../domain/failures';
import { type SecretBox } from '../../domain/sealed';
import { parkingPlusAccount } from '../../workflows';
import { getAccount, linkAccount } from '../../workflows/account-messages';
import { sha256 } from '../idempotency';
import { HttpProblem, parseInput } from '../problem';
import { AccountId, CreateAccountRequest } from '../schemas';
import { problemForFailure, problemForTemporalError } from '../temporal-errors';

/** One account per upstream driver: linking the same driver again re-links the same account. */
export function accountIdFor(email: string): string {
  return `account-parkingplus-${sha256(email.trim().toLowerCase()).slice(0, 20)}`;
}

export function accountsRouter(deps: { temporal: Client; config: Config; parkingPlus: ParkingPlusClient; box: SecretBox }): Router {
  const { temporal, config, parkingPlus, box } = deps;
  const router = Router();

  router.post('/accounts', async (req, res) => {
    const request = parseInput(CreateAccountRequest, req.body, 'body');
    let tokens: TokenSet;
    try {
      // The password (or Facebook token) is used here, once, and goes no further.
      tokens =
        request.grant === 'password'
          ? await parkingPlus.passwordGrant(request.username, request.password)
          : await parkingPlus.facebookGrant(request.facebookAccessToken);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureType.AuthExpired) {
        throw new HttpProblem(
          422,
          'Credentials refused',
          'Parking+Plus refused these credentials',
          [{ field: request.grant === 'password' ? 'password' : 'facebookAccessToken', message: 'refused by Parking+Plus' }],
          'credentials-refused',
        );
      }
      if (err instanceof ApplicationFailure) throw problemForFailure(err);
      throw err;
    }
    const accountId = accountIdFor(tokens.email);
    const account = await temporal.workflow
      .executeUpdateWithStart(linkAccount, {
        args: [sealTokens(box, tokens)],
        startWorkflowOperation: new WithStartWorkflowOperation(parkingPlusAccount, {
          workflowId: accountId,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [{ accountId }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        }),
      })
      .catch((err: unknown) => {
        throw problemForTemporalError(err, 'account') ?? err;
      });
    res.status(201).location(`/v1/accounts/${accountId}`).json(publicAccount(account));
  });

  router.get('/accounts/:id', async (req, res) => {
    const id = AccountId.safeParse(req.params.id);
    if (!id.success) throw new HttpProblem(404, 'Unknown account', 'no account with this id', undefined, 'unknown-account');
    const account = await temporal.workflow
      .getHandle(id.data)
      .query(getAccount)
      .catch((err: unknown) => {
        throw problemForTemporalError(err, 'account') ?? err;
      });
    res.json(publicAccount(account));
  });

  return router;
}

function publicAccount(account: {
  accountId: string;
  provider: 'parkingplus';
  status: 'linked' | 'needs_relink';
  linkedAt: string;
  refreshedAt?: string;
}) {
  return {
    accountId: account.accountId,
    provider: account.provider,
    status: account.status,
    linkedAt: account.linkedAt,
    refreshedAt: account.refreshedAt,
  };
}
