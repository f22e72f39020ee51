import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import { type Config } from '../../config';
import { journeyStart, JOURNEY_WORKFLOW_TYPES, processorTerms } from '../../registry';
import { getAccount } from '../../workflows/account-messages';
import {
  cancelJourney,
  enterJourney,
  exitJourney,
  finalizeJourney,
  getJourney,
  payJourney,
  startJourney,
  type JourneyView,
} from '../../workflows/messages';
import { JourneyDeadline, JourneyPlate, JourneyProvider, JourneyReference, JourneyState } from '../../workflows/search-attributes';
import { canonicalJson, InFlight, journeyIdFor, sha256 } from '../idempotency';
import { HttpProblem, parseInput } from '../problem';
import { CancelRequest, CreateJourneyRequest, EmptyRequest, IdempotencyKey, JourneyId, ListJourneysQuery, PayRequest } from '../schemas';
import { problemForTemporalError } from '../temporal-errors';

export function journeysRouter({ temporal, config }: { temporal: Client; config: Config }): Router {
  const router = Router();
  const inFlight = new InFlight();
  const polling = { firstMs: config.JOURNEY_POLL_FIRST_MS, maxMs: config.JOURNEY_POLL_MAX_MS };
  const processors = processorTerms(config);

  const rethrow = (err: unknown): never => {
    throw problemForTemporalError(err) ?? err;
  };
  /** The caller's own journey; someone else's is as unknown as a journey that does not exist. */
  const handleFor = async (req: Request, res: Response) => {
    const handle = temporal.workflow.getHandle(parseJourneyId(req.params.id));
    const { memo } = await handle.describe().catch(rethrow);
    if (memo?.owner !== res.locals.callerId)
      throw new HttpProblem(404, 'Unknown journey', 'no journey with this id', undefined, 'unknown-journey');
    return handle;
  };

  router.post('/journeys', async (req: Request, res: Response) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new HttpProblem(400, 'Idempotency-Key required', 'send an Idempotency-Key header (a UUID works)', [
        { field: 'Idempotency-Key', message: 'required' },
      ]);
    parseInput(IdempotencyKey, key, 'header', 'Idempotency-Key');
    const request = parseInput(CreateJourneyRequest, req.body, 'body');
    const requestHash = sha256(canonicalJson(request));
    const start = journeyStart(request, { requestHash, polling, processors });
    const workflowId = journeyIdFor(res.locals.callerId as string, key);
    // The same body always maps to the same update id, which Temporal deduplicates.
    const updateId = `start-${requestHash.slice(0, 16)}`;

    const view = await inFlight.run(
      workflowId,
      () => {
        throw new HttpProblem(409, 'Request in flight', 'a request with this Idempotency-Key is still being processed; retry later');
      },
      async () => {
        if (start.accountId) await requireLinkedAccount(temporal, start.accountId);
        try {
          return await temporal.workflow.executeUpdateWithStart(startJourney, {
            args: [{ requestHash }],
            updateId,
            startWorkflowOperation: new WithStartWorkflowOperation(start.workflowType, {
              workflowId,
              taskQueue: config.TEMPORAL_TASK_QUEUE,
              args: [start.input],
              workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
              // A journey whose first step failed may be retried with the same key; a finished one may not.
              workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
              memo: { owner: res.locals.callerId as string },
            }),
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) return rethrow(err);
          // The journey has finished: replay its first answer if this is the same request.
          try {
            return await temporal.workflow.getHandle(workflowId).getUpdateHandle<JourneyView>(updateId).result();
          } catch {
            throw new HttpProblem(
              422,
              'Idempotency-Key reused with a different request',
              'this Idempotency-Key belongs to a different, finished journey',
              undefined,
              'idempotency-key-reused',
            );
          }
        }
      },
    );
    res.status(201).location(`/v1/journeys/${view.id}`).json(view);
  });

  router.get('/journeys', async (req, res) => {
    const query = parseInput(ListJourneysQuery, req.query, 'query');
    const clauses = [`WorkflowType IN (${JOURNEY_WORKFLOW_TYPES.map((t) => `'${t}'`).join(', ')})`];
    if (query.state) clauses.push(`${JourneyState.name} = '${query.state}'`);
    if (query.provider) clauses.push(`${JourneyProvider.name} = '${query.provider}'`);
    const journeys = [];
    try {
      for await (const execution of temporal.workflow.list({ query: clauses.join(' AND '), pageSize: query.pageSize })) {
        if (execution.memo?.owner !== res.locals.callerId) continue; // only the caller's own journeys
        const attributes = execution.typedSearchAttributes;
        journeys.push({
          id: execution.workflowId,
          provider: attributes.get(JourneyProvider),
          state: attributes.get(JourneyState),
          plate: attributes.get(JourneyPlate),
          reference: attributes.get(JourneyReference),
          deadline: attributes.get(JourneyDeadline)?.toISOString(),
          startedAt: execution.startTime.toISOString(),
        });
        if (journeys.length >= query.pageSize) break;
      }
    } catch (err) {
      rethrow(err);
    }
    res.json({ journeys });
  });

  router.get('/journeys/:id', async (req, res) => {
    res.json(await (await handleFor(req, res)).query(getJourney).catch(rethrow));
  });

  // Steps are workflow updates: a synchronous answer, and a validator that refuses a wrong state.
  const steps = [
    { path: 'enter', update: enterJourney, body: EmptyRequest, takesBody: false },
    { path: 'finalize', update: finalizeJourney, body: EmptyRequest, takesBody: false },
    { path: 'exit', update: exitJourney, body: EmptyRequest, takesBody: false },
    { path: 'pay', update: payJourney, body: PayRequest, takesBody: true },
    { path: 'cancel', update: cancelJourney, body: CancelRequest, takesBody: true },
  ] as const;
  for (const step of steps) {
    router.post(`/journeys/:id/${step.path}`, async (req, res) => {
      const handle = await handleFor(req, res);
      const body = parseInput(step.body, req.body ?? {}, 'body');
      const key = req.get('Idempotency-Key');
      if (key !== undefined) parseInput(IdempotencyKey, key, 'header', 'Idempotency-Key');
      // With an Idempotency-Key, a retried step returns the first answer instead of running again.
      const updateId = key ? `${step.path}-${sha256(key).slice(0, 16)}` : undefined;
      const result = step.takesBody
        ? handle.executeUpdate(step.update.name, { args: [body], updateId })
        : handle.executeUpdate(step.update.name, { updateId });
      res.json(await result.catch(rethrow));
    });
  }

  return router;
}

function parseJourneyId(id: unknown): string {
  const parsed = JourneyId.safeParse(id);
  if (!parsed.success) throw new HttpProblem(404, 'Unknown journey', 'no journey with this id', undefined, 'unknown-journey');
  return parsed.data;
}

async function requireLinkedAccount(temporal: Client, accountId: string): Promise<void> {
  try {
    const account = await temporal.workflow.getHandle(accountId).query(getAccount);
    if (account.status === 'linked') return;
    throw new HttpProblem(422, 'Account must be linked again', 'link the account again with POST /v1/accounts', [
      { field: 'accountId', message: 'needs to be linked again' },
    ]);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new HttpProblem(
        422,
        'Account not linked',
        'link the account first with POST /v1/accounts',
        [{ field: 'accountId', message: 'unknown account' }],
        'account-not-linked',
      );
    }
    throw problemForTemporalError(err, 'account') ?? err;
  }
}
