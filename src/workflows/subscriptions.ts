import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  metricMeter,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import {
  DEFAULT_PAUSE_AFTER_MS,
  deliveryFailed,
  deliveryRecovered,
  listSubscriptions,
  MAX_SUBSCRIPTIONS,
  resumeSubscription,
  rotateSecret,
  SECRET_OVERLAP_MS,
  subscribe,
  unsubscribe,
  type SubscriptionRecord,
} from './subscription-messages';
import { declareVersioning } from './versioning';

export interface SubscriptionsInput {
  tenant: string;
  /** How long a subscriber may fail without a success before it is paused. */
  pauseAfterMs?: number;
  /** Carried over by continue-as-new. */
  carried?: SubscriptionRecord[];
}

/** Beyond this a run continues as new (signals come only when a subscriber starts failing or recovers). */
const HISTORY_LIMIT = 2_000;

// Versioning: AUTO_UPGRADE. It lives as long as the tenant (continue-as-new): changes to it need patched().
declareVersioning(subscriptions, 'AUTO_UPGRADE');
export async function subscriptions(input: SubscriptionsInput): Promise<void> {
  const records = new Map((input.carried ?? []).map((record) => [record.id, record]));
  const pauseAfterMs = input.pauseAfterMs ?? DEFAULT_PAUSE_AFTER_MS;

  const known = (id: string): SubscriptionRecord => {
    const record = records.get(id);
    if (!record) throw ApplicationFailure.nonRetryable(`no subscription ${id}`, FailureType.SubscriptionInactive);
    return record;
  };

  setHandler(listSubscriptions, () => [...records.values()]);

  setHandler(
    subscribe,
    ({ sealedSecret, ...request }) => {
      const now = new Date().toISOString();
      const record: SubscriptionRecord = {
        ...request,
        status: 'active',
        createdAt: now,
        secrets: [{ sealed: sealedSecret, createdAt: now }],
      };
      records.set(record.id, record);
      show();
      return record;
    },
    {
      validator: ({ id }) => {
        if (records.has(id)) throw ApplicationFailure.nonRetryable(`subscription ${id} exists`, FailureType.WrongState);
        if (records.size >= MAX_SUBSCRIPTIONS)
          throw ApplicationFailure.nonRetryable(`a tenant has at most ${MAX_SUBSCRIPTIONS} subscriptions`, FailureType.WrongState);
      },
    },
  );

  setHandler(
    unsubscribe,
    (id) => {
      records.delete(id);
      show();
    },
    { validator: (id) => void known(id) },
  );

  setHandler(
    rotateSecret,
    ({ id, sealedSecret }) => {
      const record = known(id);
      const now = Date.now();
      const retiresAt = new Date(now + SECRET_OVERLAP_MS).toISOString();
      // The newest secret signs alone; the one it replaces signs beside it for a day; older ones are gone.
      record.secrets = [
        { sealed: sealedSecret, createdAt: new Date(now).toISOString() },
        { ...record.secrets[0]!, retiresAt },
      ];
      show();
      return record;
    },
    { validator: ({ id }) => void known(id) },
  );

  setHandler(
    resumeSubscription,
    (id) => {
      const record = known(id);
      record.status = 'active';
      delete record.failingSince;
      delete record.pausedAt;
      show();
      return record;
    },
    { validator: (id) => void known(id) },
  );

  setHandler(deliveryFailed, ({ id }) => {
    const record = records.get(id);
    if (!record || record.status === 'paused' || record.failingSince) return;
    record.failingSince = new Date().toISOString();
    void pauseIfStillFailing(record);
    show();
  });

  setHandler(deliveryRecovered, ({ id }) => {
    const record = records.get(id);
    if (!record?.failingSince || record.status === 'paused') return;
    delete record.failingSince;
    show();
  });

  /** A durable timer per failing subscriber: still failing `pauseAfterMs` after it began (no success, not deleted) → paused. */
  async function pauseIfStillFailing(record: SubscriptionRecord): Promise<void> {
    const since = record.failingSince;
    const recovered = () => record.failingSince !== since || records.get(record.id) !== record || record.status !== 'active';
    if (await condition(recovered, Math.max(0, Date.parse(since!) + pauseAfterMs - Date.now()))) return;
    record.status = 'paused';
    record.pausedAt = new Date().toISOString();
    log.warn('subscriber paused: every delivery failed for too long', {
      tenant: input.tenant,
      subscriptionId: record.id,
      failingSince: since,
    });
    show();
  }
  // A run continued as new takes over the timers of subscribers still failing.
  for (const record of records.values()) if (record.status === 'active' && record.failingSince) void pauseIfStillFailing(record);

  /** What operators see: the memo and the Web UI's current details, and the paused count in /metrics. */
  function show(): void {
    const now = Date.now();
    for (const record of records.values())
      record.secrets = record.secrets.filter((secret) => !secret.retiresAt || Date.parse(secret.retiresAt) > now);
    const all = [...records.values()];
    const paused = all.filter((record) => record.status === 'paused');
    upsertMemo({
      subscriptions: all.map(({ id, url, status, failingSince, pausedAt }) => ({ id, host: hostOf(url), status, failingSince, pausedAt })),
    });
    setCurrentDetails(
      [
        `**${all.length} subscription(s), ${paused.length} paused**`,
        ...all.map((r) => `- ${r.id} → ${hostOf(r.url)}: ${r.status}${r.failingSince ? `, failing since ${r.failingSince}` : ''}`),
      ].join('\n'),
    );
    const gauge = metricMeter.createGauge('parkflow_webhook_subscriptions', 'int', 'Event subscriptions by tenant and status');
    gauge.set(all.length - paused.length, { tenant: input.tenant, status: 'active' });
    gauge.set(paused.length, { tenant: input.tenant, status: 'paused' });
  }

  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT);
  await condition(allHandlersFinished);
  await continueAsNew<typeof subscriptions>({ ...input, carried: [...records.values()] });
}

/** The host of a URL the API has validated (no URL class in workflow code). */
function hostOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').split(/[/?#]/)[0] ?? url;
}
