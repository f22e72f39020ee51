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
import { accountIdFor, ownerOf } from '../../domain/tenants';
import { HttpProblem, parseInput } from '../problem';
import { respond } from '../respond';
import { Account, CreateAccountRequest } from '../schemas';
import { type TemporalCalls } from '../temporal-calls';
import { problemForFailure } from '../temporal-errors';

export function accountsRouter(deps: {
  temporal: Client;
  config: Config;
  parkingPlus: ParkingPlusClient;
  box: SecretBox;
  calls: TemporalCalls;
}): Router {
  const { temporal, config, parkingPlus, box, calls } = deps;
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
    // One account per tenant and driver: linking the same driver again re-links the same account.
    const accountId = accountIdFor(config.PARKFLOW_SECRET_KEY, res.locals.tenant as string, tokens.email);
    const account = await calls.step(
      () =>
        temporal.workflow.executeUpdateWithStart(linkAccount, {
          args: [sealTokens(box, tokens)],
          startWorkflowOperation: new WithStartWorkflowOperation(parkingPlusAccount, {
            workflowId: accountId,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args: [{ accountId }],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          }),
        }),
      'account',
    );
    res.location(`/v1/accounts/${accountId}`);
    respond(res, Account, account, 201);
  });

  router.get('/accounts/:id', async (req, res) => {
    // The tenant is part of the id: another tenant's account is as unknown as none.
    if (ownerOf('account', req.params.id) !== res.locals.tenant)
      throw new HttpProblem(404, 'Unknown account', 'no account with this id', undefined, 'unknown-account');
    respond(res, Account, await calls.read(() => temporal.workflow.getHandle(req.params.id).query(getAccount), 'account'));
  });

  return router;
}
