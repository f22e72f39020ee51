import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { Router, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { subscriberTargetPolicy, type Config } from '../../config';
import { newSigningSecret } from '../../domain/event-signing';
import { type SecretBox } from '../../domain/sealed';
import { refusedSubscriberUrl } from '../../domain/subscriber-url';
import { subscriptions } from '../../workflows';
import {
  listSubscriptions,
  resumeSubscription,
  rotateSecret,
  subscribe,
  subscriptionsWorkflowId,
  unsubscribe,
  type SubscriptionRecord,
} from '../../workflows/subscription-messages';
import { HttpProblem, parseInput } from '../problem';
import { respond } from '../respond';
import { CreateSubscriptionRequest, Subscription, SubscriptionId, SubscriptionList, SubscriptionWithSecret } from '../subscription-schemas';
import { type TemporalCalls } from '../temporal-calls';

// A tenant's event subscriptions: the tenant's subscriptions workflow keeps them; the secret is
// made here, sealed at once, and shown in clear in the answer that creates or rotates it, never again.

/** A record as the contract shows it: no secrets, the previous secret's end while one rotates. */
function shown({ id, url, events, description, status, createdAt, failingSince, pausedAt, secrets }: SubscriptionRecord) {
  const previousSecretValidUntil = secrets.find((secret) => secret.retiresAt)?.retiresAt;
  return { id, url, events, description, status, createdAt, failingSince, pausedAt, previousSecretValidUntil };
}

export function subscriptionsRouter(deps: { temporal: Client; config: Config; box: SecretBox; calls: TemporalCalls }): Router {
  const { temporal, config, box, calls } = deps;
  const router = Router();
  const policy = subscriberTargetPolicy(config);
  const handleOf = (res: Response) => temporal.workflow.getHandle(subscriptionsWorkflowId(res.locals.tenant as string));
  const idOf = (raw: string) => {
    if (!SubscriptionId.safeParse(raw).success) throw unknown();
    return raw;
  };

  router.post('/subscriptions', async (req, res) => {
    const request = parseInput(CreateSubscriptionRequest, req.body, 'body');
    const refused = await refusedSubscriberUrl(request.url, policy);
    if (refused)
      throw new HttpProblem(422, 'Subscriber URL refused', refused, [{ field: 'url', message: refused }], 'subscriber-url-refused');
    const tenant = res.locals.tenant as string;
    const secret = newSigningSecret();
    const id = `sub_${randomBytes(8).toString('hex')}`;
    const record = await calls.step(
      () =>
        temporal.workflow.executeUpdateWithStart(subscribe, {
          args: [{ id, url: request.url, events: request.events, description: request.description, sealedSecret: box.seal(secret) }],
          startWorkflowOperation: new WithStartWorkflowOperation(subscriptions, {
            workflowId: subscriptionsWorkflowId(tenant),
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args: [{ tenant, pauseAfterMs: config.SUBSCRIBER_PAUSE_AFTER_MS }],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          }),
        }),
      'subscription',
    );
    res.location(`/v1/subscriptions/${id}`);
    respond(res, SubscriptionWithSecret, { ...shown(record), secret }, 201);
  });

  router.get('/subscriptions', async (_req, res) => {
    const records = await calls.read(async () => {
      try {
        return await handleOf(res).query(listSubscriptions);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    }, 'subscription');
    respond(res, SubscriptionList, { subscriptions: records.map(shown) });
  });

  router.delete('/subscriptions/:id', async (req, res) => {
    const id = idOf(req.params.id);
    await calls.step(() => handleOf(res).executeUpdate(unsubscribe, { args: [id] }), 'subscription');
    res.status(204).end();
  });

  router.post('/subscriptions/:id/rotate-secret', async (req, res) => {
    const id = idOf(req.params.id);
    const secret = newSigningSecret();
    const record = await calls.step(
      () => handleOf(res).executeUpdate(rotateSecret, { args: [{ id, sealedSecret: box.seal(secret) }] }),
      'subscription',
    );
    respond(res, SubscriptionWithSecret, { ...shown(record), secret });
  });

  router.post('/subscriptions/:id/resume', async (req, res) => {
    const id = idOf(req.params.id);
    respond(
      res,
      Subscription,
      shown(await calls.step(() => handleOf(res).executeUpdate(resumeSubscription, { args: [id] }), 'subscription')),
    );
  });

  return router;
}

function unknown(): HttpProblem {
  return new HttpProblem(404, 'Unknown subscription', 'no subscription with this id', undefined, 'unknown-subscription');
}
