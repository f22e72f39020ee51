import {
  type Client,
  WithStartWorkflowOperation,
  type WorkflowHandle,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import rateLimit from 'express-rate-limit';
import { type z } from 'zod';
import { type Config } from '../../config';
import { plateSearchKey } from '../../domain/plate-key';
import { journeyIdFor, ownerOf } from '../../domain/tenants';
import { journeyStart, JOURNEY_WORKFLOW_TYPES, OPERATORS, processorTerms } from '../../registry';
import { getAccount } from '../../workflows/account-messages';
import {
  cancelJourney,
  enterJourney,
  exitJourney,
  finalizeJourney,
  getJourney,
  hasReached,
  payJourney,
  startJourney,
  type CancelRequest as CancelStep,
  type JourneyStateName,
  JOURNEY_STEPS,
  type JourneyStep,
  type JourneyView,
  type PayRequest as PayStep,
  type Provider,
} from '../../workflows/messages';
import { JOURNEY_MEMO, type JourneyMemo } from '../../workflows/journey-memo';
import {
  JourneyDeadline,
  JourneyPlateKey,
  JourneyProvider,
  JourneyReference,
  JourneyState,
  JourneyTenant,
} from '../../workflows/search-attributes';
import { type EctorZoneCache } from '../ector-zone-cache';
import { journeyEnded, type JourneyRefresher, workflowExists } from '../journey-refresh';
import { WAIT_HEADER, waitForState } from '../journey-wait';
import { canonicalJson, InFlight, sha256 } from '../idempotency';
import { prepareJourneyRequest } from '../journey-requests';
import { HttpProblem, parseInput, sendProblem } from '../problem';
import { type RateLimitStores, retryAfterOf } from '../rate-limit-store';
import { respond } from '../respond';
import {
  CreateJourneyRequest,
  GetJourneyQuery,
  IdempotencyKey,
  Journey,
  JourneyList,
  ListJourneysQuery,
  MAX_WAIT_SECONDS,
  RefreshAnswer,
  STEP_SCHEMAS,
} from '../schemas';
import { isProblem, type TemporalCalls } from '../temporal-calls';
import { isTemporalUnavailable, isUnknownStep, problemForTemporalError } from '../temporal-errors';

/** A backend's refreshes per journey per minute: one a second is the most the journey takes. */
const REFRESHES_PER_MINUTE = 60;

const keyReused = (detail: string) =>
  new HttpProblem(422, 'Idempotency-Key reused with a different request', detail, undefined, 'idempotency-key-reused');
const unknownJourney = () => new HttpProblem(404, 'Unknown journey', 'no journey with this id', undefined, 'unknown-journey');

/** The steps after the start, each a workflow update (its request and answer schemas are in STEP_SCHEMAS). */
const STEP_UPDATES: { [S in JourneyStep]: (h: WorkflowHandle, body: never, updateId?: string) => Promise<unknown> } = {
  enter: (h, _b, updateId) => h.executeUpdate(enterJourney, { updateId }),
  finalize: (h, _b, updateId) => h.executeUpdate(finalizeJourney, { updateId }),
  exit: (h, _b, updateId) => h.executeUpdate(exitJourney, { updateId }),
  pay: (h, body: PayStep, updateId) => h.executeUpdate(payJourney, { args: [body], updateId }),
  cancel: (h, body: CancelStep, updateId) => h.executeUpdate(cancelJourney, { args: [body], updateId }),
};

export function journeysRouter({
  temporal,
  config,
  calls,
  zones,
  refresher,
  limitStores,
}: {
  temporal: Client;
  config: Config;
  calls: TemporalCalls;
  zones: EctorZoneCache;
  refresher: JourneyRefresher;
  limitStores: RateLimitStores;
}): Router {
  const router = Router();
  const inFlight = new InFlight();
  const polling = { firstMs: config.JOURNEY_POLL_FIRST_MS, maxMs: config.JOURNEY_POLL_MAX_MS };
  const processors = processorTerms(config);

  /** The caller's own journey: the tenant is part of the id, so another tenant's is as unknown as none. */
  const handleFor = (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (ownerOf('journey', id) !== res.locals.tenant) throw unknownJourney();
    return temporal.workflow.getHandle(id);
  };

  router.post('/journeys', async (req: Request, res: Response) => {
    const receivedAt = Date.now();
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new HttpProblem(400, 'Idempotency-Key required', 'send an Idempotency-Key header (a UUID works)', [
        { field: 'Idempotency-Key', message: 'required' },
      ]);
    parseInput(IdempotencyKey, key, 'header', 'Idempotency-Key');
    const request = parseInput(CreateJourneyRequest, req.body, 'body');
    const tenant = res.locals.tenant as string;
    // The hash is of the body as sent: the same body is the same request, whenever it comes.
    const requestHash = sha256(canonicalJson(request));
    const prepared = await prepareJourneyRequest(request, { zones });
    const start = journeyStart(prepared.request, { requestHash, polling, processors, timeZone: prepared.timeZone }, config);
    const workflowId = journeyIdFor(tenant, key);
    // The same body always maps to the same update id, which Temporal deduplicates.
    const updateId = `start-${requestHash.slice(0, 16)}`;
    const workflowOptions = {
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [start.input] as const,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      // A journey whose first step failed may be started again with the same key; a finished one may not.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      // The plate only as its keyed digest: search attributes are never encrypted.
      typedSearchAttributes: [
        { key: JourneyTenant, value: tenant },
        ...(start.plate ? [{ key: JourneyPlateKey, value: plateSearchKey(start.plate, config.PARKFLOW_SECRET_KEY) }] : []),
      ],
    };

    /** A run of this key that failed at its first step before this request came: its answer is stale. */
    const failedEarlier = async () => {
      const run = await temporal.workflow.getHandle(workflowId).describe();
      return run.status.name === 'FAILED' && run.closeTime !== undefined && run.closeTime.getTime() < receivedAt;
    };

    /**
     * A journey this key started before, for a request refused before it reaches Temporal: its first answer
     * when the body is the same, 422 when another body started it, undefined when none did (or its first step failed).
     */
    const earlierStart = () =>
      calls.read(async () => {
        const handle = temporal.workflow.getHandle(workflowId);
        try {
          return await handle.getUpdateHandle<JourneyView>(updateId).result();
        } catch (err) {
          if (isTemporalUnavailable(err)) throw err;
          if (!(err instanceof WorkflowNotFoundError)) return undefined; // its first step failed
        }
        const run = await handle
          .describe()
          .catch((err: unknown) => (err instanceof WorkflowNotFoundError ? undefined : Promise.reject(err)));
        if (run && run.status.name !== 'FAILED')
          throw keyReused('this Idempotency-Key belongs to a journey started with a different request');
        return undefined;
      });

    const view = await inFlight.run(
      workflowId,
      () => {
        throw new HttpProblem(409, 'Request in flight', 'a request with this Idempotency-Key is still being processed; retry later');
      },
      async () => {
        if (start.accountId) {
          try {
            await requireLinkedAccount(calls, temporal, start.accountId, tenant);
          } catch (err) {
            // A retried start answers its first answer (another body with its key 422), whatever became of the account since.
            const earlier = isProblem(err, 422) ? await earlierStart() : undefined;
            if (!earlier) throw err;
            return earlier;
          }
        }
        return calls.step(async () => {
          try {
            return await temporal.workflow.executeUpdateWithStart(startJourney, {
              args: [{ requestHash }],
              updateId,
              startWorkflowOperation: new WithStartWorkflowOperation(start.workflowType, workflowOptions),
            });
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError && (await failedEarlier())) {
              // Temporal answers a closed run's update id with its old outcome: start a new run first.
              await temporal.workflow.start(start.workflowType, workflowOptions);
              return await temporal.workflow.getHandle(workflowId).executeUpdate(startJourney, { args: [{ requestHash }], updateId });
            }
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
            // The journey has finished: replay its first answer if this is the same request.
            try {
              return await temporal.workflow.getHandle(workflowId).getUpdateHandle<JourneyView>(updateId).result();
            } catch (lookUp) {
              if (isTemporalUnavailable(lookUp)) throw lookUp;
              throw keyReused('this Idempotency-Key belongs to a different, finished journey');
            }
          }
        });
      },
    );
    res.location(`/v1/journeys/${view.id}`);
    respond(res, Journey, view, 201);
  });

  router.get('/journeys', async (req, res) => {
    const query = parseInput(ListJourneysQuery, req.query, 'query');
    const clauses = [
      `WorkflowType IN (${JOURNEY_WORKFLOW_TYPES.map((t) => `'${t}'`).join(', ')})`,
      `${JourneyTenant.name} = '${res.locals.tenant as string}'`,
    ];
    if (query.state) clauses.push(`${JourneyState.name} = '${query.state}'`);
    if (query.provider) clauses.push(`${JourneyProvider.name} = '${query.provider}'`);
    if (query.plate) clauses.push(`${JourneyPlateKey.name} = '${plateSearchKey(query.plate, config.PARKFLOW_SECRET_KEY)}'`);
    const journeys = await calls.read(async () => {
      const found = [];
      for await (const execution of temporal.workflow.list({ query: clauses.join(' AND '), pageSize: query.pageSize })) {
        const attributes = execution.typedSearchAttributes;
        const summary = execution.memo?.[JOURNEY_MEMO] as JourneyMemo | undefined;
        found.push({
          id: execution.workflowId,
          provider: attributes.get(JourneyProvider) as Provider | undefined,
          state: attributes.get(JourneyState) as JourneyStateName | undefined,
          plate: summary?.plate,
          reference: attributes.get(JourneyReference),
          deadline: attributes.get(JourneyDeadline)?.toISOString(),
          startedAt: execution.startTime.toISOString(),
        });
        if (found.length >= query.pageSize) break;
      }
      return found;
    });
    respond(res, JourneyList, { journeys });
  });

  // With waitFor, a long poll: answered at once when the state is already reached, else by the journey's own wait.
  router.get('/journeys/:id', async (req, res) => {
    const handle = handleFor(req, res);
    const { waitFor, timeout = MAX_WAIT_SECONDS } = parseInput(GetJourneyQuery, req.query, 'query');
    const read = () => calls.read(() => handle.query(getJourney));
    const now = await read();
    if (!waitFor) return respond(res, Journey, now);
    const timeoutMs = Math.min(timeout * 1000, config.JOURNEY_WAIT_MAX_MS);
    const view = hasReached(now, waitFor)
      ? now
      : ((await calls.wait(timeoutMs, () => waitForState(handle, { state: waitFor, timeoutMs }))) ?? (await read()));
    res.set(WAIT_HEADER, hasReached(view, waitFor) ? 'reached' : 'timeout');
    respond(res, Journey, view);
  });

  // Steps are workflow updates: a synchronous answer, and a validator that refuses a wrong state.
  for (const name of JOURNEY_STEPS) {
    const schemas: { body: z.ZodType; answer: z.ZodType } = STEP_SCHEMAS[name];
    router.post(`/journeys/:id/${name}`, async (req, res) => {
      const handle = handleFor(req, res);
      const body = parseInput(schemas.body, req.body ?? {}, 'body');
      const key = req.get('Idempotency-Key');
      if (key !== undefined) parseInput(IdempotencyKey, key, 'header', 'Idempotency-Key');
      // With an Idempotency-Key, a retried step returns the first answer instead of running again.
      const updateId = key ? `${name}-${sha256(key).slice(0, 16)}` : undefined;
      const answer = await calls.step(async () => {
        try {
          return await STEP_UPDATES[name](handle, body as never, updateId);
        } catch (err) {
          throw await stepProblem(err, handle, name);
        }
      });
      respond(res, schemas.answer, answer);
    });
  }

  // A hint, not a step: the journey looks now (at most once a second); repeating it is harmless.
  router.post(
    '/journeys/:id/refresh',
    rateLimit({
      windowMs: 60_000,
      limit: REFRESHES_PER_MINUTE,
      store: limitStores('refreshes'),
      keyGenerator: (req, res) => `${res.locals.tenant as string}:${String(req.params.id)}`,
      handler: (req, res) =>
        sendProblem(
          res,
          new HttpProblem(
            429,
            'Too many refreshes',
            `at most ${REFRESHES_PER_MINUTE} a minute per journey`,
            undefined,
            undefined,
            retryAfterOf(req),
          ),
        ),
    }),
    async (req, res) => {
      const handle = handleFor(req, res);
      const outcome = await calls.read(
        async () => (await journeyEnded(handle)) ?? refresher.refresh(handle.workflowId, { source: 'backend' }),
      );
      if (outcome === 'unknown-journey') throw unknownJourney();
      if (outcome === 'ended')
        throw new HttpProblem(409, 'The journey has ended', 'a finished journey has nothing to look at', undefined, 'journey-ended');
      respond(res, RefreshAnswer, { id: handle.workflowId, refresh: outcome === 'signalled' ? 'requested' : 'coalesced' }, 202);
    },
  );

  /** What a failed step means to the caller: a step its operator does not take, a finished journey, or the failure. */
  async function stepProblem(err: unknown, handle: WorkflowHandle, step: JourneyStep): Promise<unknown> {
    if (isUnknownStep(err)) {
      const { provider } = await handle.query(getJourney);
      const steps = OPERATORS.find((row) => row.provider === provider)?.steps ?? [];
      return new HttpProblem(
        409,
        'Step not taken by this operator',
        `a ${provider} journey takes no "${step}" step; its steps are: ${steps.join(', ')}`,
        undefined,
        'step-not-available',
      );
    }
    if (err instanceof WorkflowNotFoundError) {
      // Updates reach running journeys only: a journey that exists has ended.
      if (!(await workflowExists(handle))) return unknownJourney();
      return new HttpProblem(409, 'The journey has ended', 'a finished journey takes no more steps', undefined, 'journey-ended');
    }
    return problemForTemporalError(err) ?? err;
  }

  return router;
}

async function requireLinkedAccount(calls: TemporalCalls, temporal: Client, accountId: string, tenant: string): Promise<void> {
  const notLinked = new HttpProblem(
    422,
    'Account not linked',
    'link the account first with POST /v1/accounts',
    [{ field: 'accountId', message: 'unknown account' }],
    'account-not-linked',
  );
  if (ownerOf('account', accountId) !== tenant) throw notLinked; // another tenant's account is unknown here
  const account = await calls.read(async () => {
    try {
      return await temporal.workflow.getHandle(accountId).query(getAccount);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notLinked;
      throw err;
    }
  }, 'account');
  if (account.status !== 'linked')
    throw new HttpProblem(422, 'Account must be linked again', 'link the account again with POST /v1/accounts', [
      { field: 'accountId', message: 'needs to be linked again' },
    ]);
}
