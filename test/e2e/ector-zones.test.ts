import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { EctorZoneCache } from '../../src/api/ector-zone-cache';
import { TemporalCalls } from '../../src/api/temporal-calls';
import { ensureSchedules } from '../../src/temporal/schedules';
import { RECONCILIATION_SCHEDULE_ID } from '../../src/workflows/reconciliation-messages';
import { ECTOR_ZONE_CACHE_ID, ECTOR_ZONES_SCHEDULE_ID, ectorZonesFetched, getEctorZones, type EctorZones } from '../../src/workflows/ector-zone-messages';
import { ectorZoneCache } from '../../src/workflows/ector-zones';
import { ECTOR_API_KEY, eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// Ector's zones against the dev server (the time-skipping server has no Schedules): the worker's
// start creates the daily Schedule and its first run fills the cache workflow from the simulator;
// the API serves the cache and passes quotes through after checking them.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const temporal = () => stack.service.temporal;
const schedule = () => temporal().schedule.getHandle(ECTOR_ZONES_SCHEDULE_ID);
/** The cache as the workflow holds it, once it holds a fetched list newer than `after`. */
const cachedAfter = (after = '', what = 'the zone cache') =>
  eventually(
    async () => {
      const zones = await temporal()
        .workflow.getHandle(ECTOR_ZONE_CACHE_ID)
        .query(getEctorZones)
        .catch(() => undefined);
      return zones?.refreshedAt !== undefined && zones.refreshedAt > after ? zones : undefined;
    },
    30_000,
    what,
  );
const quote = (params: Record<string, string>) => stack.api(`/v1/ector/quotes?${new URLSearchParams(params)}`);
const fieldsOf = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((e) => e.field);

const year = DateTime.now().year + 2;
/** A day in the summer two years ahead: a future stay, with Paris at +02:00. */
const summer = (day: number, time: string) => `${year}-07-${String(day).padStart(2, '0')}T${time}`;

describe('the daily refresh', () => {
  test('after start the schedule exists: 04:00 Paris time every day, overlaps skipped, on the service task queue', async () => {
    const description = await schedule().describe();
    expect(description.spec.timezone).toBe('Europe/Paris');
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'refreshEctorZones',
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    });
    const next = description.info.nextActionTimes.map((t) => DateTime.fromJSDate(t, { zone: 'Europe/Paris' }));
    expect(next.length).toBeGreaterThanOrEqual(2);
    expect(next.map((t) => t.toFormat('HH:mm'))).toEqual(next.map(() => '04:00'));
    expect(next[1]!.diff(next[0]!, 'days').days).toBe(1);
  });

  test("the first run (triggered at creation) fills the cache with the simulator's zones", async () => {
    const cached = await cachedAfter();
    expect(cached.zones.map((z) => z.id)).toEqual(stack.ector.zones.map((z) => z.id));
    expect(cached.zones.find((z) => z.id === 'CDG')).toMatchObject({
      timeZone: 'Europe/Paris',
      services: expect.arrayContaining([{ code: 'covered_parking', price: { value: '15.00', currency: 'EUR' } }]),
    });
    expect((await schedule().describe()).info.numActionsTaken).toBe(1);
  });

  test('running ensureSchedules again (twice at once) is harmless: one schedule, the same id, no extra run', async () => {
    await cachedAfter();
    await Promise.all([ensureSchedules(temporal(), stack.config), ensureSchedules(temporal(), stack.config)]);
    const ids = await eventually(async () => {
      const found: string[] = [];
      for await (const s of temporal().schedule.list()) found.push(s.scheduleId);
      return found.length > 1 ? found.sort() : undefined;
    });
    expect(ids).toEqual([ECTOR_ZONES_SCHEDULE_ID, RECONCILIATION_SCHEDULE_ID].sort()); // and the nightly reconciliation's
    expect((await schedule().describe()).info.numActionsTaken).toBe(1);
  });

  test('a schedule left on another task queue (renamed since) is moved to this one, its spec kept', async () => {
    await ensureSchedules(temporal(), { TEMPORAL_TASK_QUEUE: 'a-renamed-queue' });
    expect((await schedule().describe()).action).toMatchObject({ taskQueue: 'a-renamed-queue' });
    await ensureSchedules(temporal(), stack.config);
    const description = await schedule().describe();
    expect(description.action).toMatchObject({ workflowType: 'refreshEctorZones', taskQueue: stack.config.TEMPORAL_TASK_QUEUE });
    expect(description.spec.timezone).toBe('Europe/Paris');
    expect(DateTime.fromJSDate(description.info.nextActionTimes[0]!, { zone: 'Europe/Paris' }).toFormat('HH:mm')).toBe('04:00');
    expect(description.policies.overlap).toBe('SKIP');
  });

  test('a trigger refreshes the cache, through a failed fetch (retried), while the cache keeps answering', async () => {
    const before = await cachedAfter();
    stack.ector.faults.add({ path: '/v3/zones', status: 503 });
    await schedule().trigger();
    // The first fetch fails and is retried after its backoff; meanwhile yesterday's list answers.
    const during = await temporal().workflow.getHandle(ECTOR_ZONE_CACHE_ID).query(getEctorZones);
    expect(during.zones).toHaveLength(before.zones.length);
    const after = await cachedAfter(before.refreshedAt, 'a refreshed cache');
    expect(stack.ector.faults.pending()).toBe(0);
    expect(after.zones).toEqual(before.zones);
    expect(Date.parse(after.refreshedAt!)).toBeGreaterThan(Date.parse(before.refreshedAt!));
  });

  test('a cache workflow that was ended is started again by the next ensureSchedules (a trigger)', async () => {
    const before = await cachedAfter();
    const handle = temporal().workflow.getHandle(ECTOR_ZONE_CACHE_ID);
    await handle.terminate('test: an operator ended the cache');
    const taken = (await schedule().describe()).info.numActionsTaken;
    await ensureSchedules(temporal(), stack.config);
    const after = await cachedAfter(before.refreshedAt, 'a cache started again');
    expect(after.zones).toEqual(before.zones);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await schedule().describe()).info.numActionsTaken).toBe(taken + 1);
  });

  test('the cache keeps the latest fetch (by fetch time) and continues as new with it', async () => {
    const zones = (await cachedAfter()).zones;
    const cdg = zones.filter((z) => z.id === 'CDG');
    // Its own instance, with a small history limit, so continue-as-new comes after a few signals.
    const handle = await temporal().workflow.start(ectorZoneCache, {
      workflowId: `ector-zones-test-${Date.now()}`,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ historyLimit: 12 }],
    });
    const firstRun = handle.firstExecutionRunId;
    await handle.signal(ectorZonesFetched, { zones, fetchedAt: '2030-01-02T04:00:00.000Z' });
    await handle.signal(ectorZonesFetched, { zones: cdg, fetchedAt: '2030-01-01T04:00:00.000Z' }); // older: ignored
    for (let day = 3; day <= 8; day++) {
      await handle.signal(ectorZonesFetched, { zones: day % 2 ? cdg : zones, fetchedAt: `2030-01-0${day}T04:00:00.000Z` });
    }
    const latest = await eventually(async () => {
      const described = await handle.describe();
      const view: EctorZones = await handle.query(getEctorZones);
      return described.runId !== firstRun && view.refreshedAt === '2030-01-08T04:00:00.000Z' ? view : undefined;
    });
    expect(latest.zones).toEqual(zones);
    const first = await temporal().workflow.getHandle(handle.workflowId, firstRun).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    await handle.terminate('test done');
  });
});

describe('GET /v1/ector/zones', () => {
  test('answers the cached zones: id, name, type, address, time zone, services with prices, refreshedAt', async () => {
    const cached = await cachedAfter();
    const res = await stack.api('/v1/ector/zones');
    expect(res.status).toBe(200);
    expect(res.body.zones).toHaveLength(stack.ector.zones.length);
    expect(res.body.zones.find((z: { id: string }) => z.id === 'CDG')).toEqual({
      id: 'CDG',
      name: 'Paris-Charles de Gaulle',
      type: 'airport',
      address: '95700 Roissy-en-France',
      timeZone: 'Europe/Paris',
      services: [
        { code: 'covered_parking', price: { value: '15.00', currency: 'EUR' } },
        { code: 'cancellation_insurance', price: { value: '9.90', currency: 'EUR' } },
      ],
    });
    expect(res.body.zones.find((z: { id: string }) => z.id === 'RUN').timeZone).toBe('Indian/Reunion');
    expect(Date.parse(res.body.refreshedAt)).toBeGreaterThanOrEqual(Date.parse(cached.refreshedAt!) - 60_000);
  });

  test('needs an API key', async () => {
    expect((await stack.api('/v1/ector/zones', { headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
  });

  test('before the first load (no cache workflow yet): 503 with Retry-After', async () => {
    const notYet = {
      withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
      workflow: {
        getHandle: () => ({
          query: async () => {
            throw new WorkflowNotFoundError('workflow not found', ECTOR_ZONE_CACHE_ID, undefined);
          },
        }),
      },
    } as unknown as Client;
    const cache = new EctorZoneCache(notYet, new TemporalCalls(notYet, { readMs: 1000, stepMs: 1000 }));
    await expect(cache.all()).rejects.toMatchObject({ status: 503, slug: 'zones-loading', retryAfterSeconds: 5 });
    await expect(cache.find('CDG')).rejects.toMatchObject({ status: 503 });
  });
});

describe('GET /v1/ector/quotes', () => {
  beforeAll(async () => {
    await cachedAfter();
  });

  test("passes Ector's quote through: the parking price and each service's, in the zone's time", async () => {
    const res = await quote({ zoneId: 'CDG', startAt: `${summer(23, '18:05:00')}+02:00`, endAt: `${summer(26, '09:00:00')}Z` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      zoneId: 'CDG',
      startAt: `${summer(23, '18:05:00')}+02:00`,
      endAt: `${summer(26, '11:00:00')}+02:00`,
      available: true,
      price: { value: '59.70', currency: 'EUR' }, // 3 started days × 19.90
      services: [
        { code: 'covered_parking', price: { value: '15.00', currency: 'EUR' } },
        { code: 'cancellation_insurance', price: { value: '9.90', currency: 'EUR' } },
      ],
    });
  });

  test("a time without an offset is the zone's local time (Paris +02:00 in summer, La Réunion +04:00)", async () => {
    const paris = await quote({ zoneId: 'ORY', startAt: summer(23, '18:05'), endAt: summer(24, '09:00') });
    expect(paris.status).toBe(200);
    expect(paris.body).toMatchObject({ startAt: `${summer(23, '18:05:00')}+02:00`, endAt: `${summer(24, '09:00:00')}+02:00` });
    const reunion = await quote({ zoneId: 'RUN', startAt: summer(23, '18:05'), endAt: summer(24, '09:00') });
    expect(reunion.status).toBe(200);
    expect(reunion.body.startAt).toBe(`${summer(23, '18:05:00')}+04:00`);
  });

  test('a full zone is a quote with available: false', async () => {
    stack.ector.unavailable.add('NCE');
    try {
      const res = await quote({ zoneId: 'NCE', startAt: summer(1, '10:00'), endAt: summer(2, '10:00') });
      expect(res.status).toBe(200);
      expect(res.body.available).toBe(false);
    } finally {
      stack.ector.unavailable.delete('NCE');
    }
  });

  test('refused before Ector is asked: unknown zone, a time the clocks skip, past start, end not after start (422 naming the field)', async () => {
    const unknown = await quote({ zoneId: 'XXX', startAt: summer(1, '10:00'), endAt: summer(2, '10:00') });
    expect(unknown.status).toBe(422);
    expect(fieldsOf(unknown.body)).toEqual(['zoneId']);

    // The last Sunday of March: 02:30 does not exist in Paris.
    const march31 = DateTime.fromObject({ year, month: 3, day: 31 });
    const springForward = march31.minus({ days: march31.weekday % 7 }).toISODate();
    const gap = await quote({ zoneId: 'CDG', startAt: `${springForward}T02:30`, endAt: summer(2, '10:00') });
    expect(gap.status).toBe(422);
    expect(fieldsOf(gap.body)).toEqual(['startAt']);
    expect(gap.body.errors[0].message).toMatch(/does not exist/);

    const past = await quote({ zoneId: 'CDG', startAt: '2020-01-01T10:00:00Z', endAt: summer(2, '10:00') });
    expect(past.status).toBe(422);
    expect(fieldsOf(past.body)).toEqual(['startAt']);

    const reversed = await quote({ zoneId: 'CDG', startAt: summer(2, '10:00'), endAt: summer(1, '10:00') });
    expect(reversed.status).toBe(422);
    expect(fieldsOf(reversed.body)).toEqual(['endAt']);

    const noSuchDay = await quote({ zoneId: 'CDG', startAt: `${year}-02-30T10:00`, endAt: summer(2, '10:00') });
    expect(noSuchDay.status).toBe(422);
    expect(fieldsOf(noSuchDay.body)).toEqual(['startAt']);
  });

  test('unparseable or missing parameters: 400 naming each', async () => {
    const words = await quote({ zoneId: 'CDG', startAt: 'tomorrow', endAt: summer(2, '10:00') });
    expect(words.status).toBe(400);
    expect(fieldsOf(words.body)).toEqual(['startAt']);
    const missing = await quote({ startAt: summer(1, '10:00') });
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing.body).sort()).toEqual(['endAt', 'zoneId']);
    const extra = await quote({ zoneId: 'CDG', startAt: summer(1, '10:00'), endAt: summer(2, '10:00'), coupon: 'FREE' });
    expect(extra.status).toBe(400);
  });

  test('Ector down, or refusing our key: 503 with Retry-After, never a 500', async () => {
    stack.ector.faults.add({ path: '/v3/quotes', status: 503 });
    const down = await quote({ zoneId: 'CDG', startAt: summer(1, '10:00'), endAt: summer(2, '10:00') });
    expect(down.status).toBe(503);
    expect(stack.responses.at(-1)!.headers['retry-after']).toBeDefined();

    stack.ector.rotateKey('a-key-parkflow-does-not-have');
    try {
      const refused = await quote({ zoneId: 'CDG', startAt: summer(1, '10:00'), endAt: summer(2, '10:00') });
      expect(refused.status).toBe(503);
      expect(refused.body.type).toContain('credential-rejected');
      expect(JSON.stringify(refused.body)).not.toContain(ECTOR_API_KEY);
    } finally {
      stack.ector.rotateKey(ECTOR_API_KEY);
    }
    expect((await quote({ zoneId: 'CDG', startAt: summer(1, '10:00'), endAt: summer(2, '10:00') })).status).toBe(200);
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});

test('the zone workflows of this run replay cleanly', async () => {
  const histories = [];
  for await (const item of temporal().workflow.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` }).intoHistories()) histories.push(item);
  expect(histories.filter((h) => h.workflowId.startsWith(ECTOR_ZONES_SCHEDULE_ID)).length).toBeGreaterThanOrEqual(3);
  expect(histories.filter((h) => h.workflowId === ECTOR_ZONE_CACHE_ID).length).toBeGreaterThanOrEqual(1);
  for await (const result of Worker.runReplayHistories(await replayOptions(), histories)) {
    expect({ workflowId: result.workflowId, error: result.error?.message }).toEqual({ workflowId: result.workflowId, error: undefined });
  }
});
