import { type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { getJourney, type JourneyView } from '../../src/workflows/messages';
import { firstWorkflowTask, resetTo, type HistoryEvent } from '../support/reset';
import { eventually, startStack, type Stack } from '../support/stack';
import { replayOptions } from '../support/temporal';
import { endOfSuite } from '../support/end-of-suite';

// An operator may reset any journey to any point (Temporal UI, `temporal workflow reset`), and
// the reset reapplies the original run's updates (validators refuse those that no longer fit).
// Reset to the first workflow task: the new run executes the first step again, which finds the
// journey's own session at Parking+Plus and adopts it in whatever state it is (or, the session
// closed, finds it among the driver's transactions) instead of creating one.
// Reset to a point after the first step: the new run replays the kept history, the first step's
// recorded result included, so nothing is looked up or created again; its next read of the session
// finds it as it is now (here finalized) and the journey catches up from there.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack, { record: true }); // histories for test/replay, the clear-secrets scan, stop
});

const gate = (sessionId: number | string) => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${sessionId}/gate`, { method: 'POST' });
const sessionsOf = (email: string) => [...stack.parkingPlus.world.sessions.values()].filter((s) => s.email === email);
const view = async (id: string): Promise<JourneyView> => (await stack.api(`/v1/journeys/${id}`)).body;

/** Links the driver and drives a journey over HTTP until the car is in: `active`. */
async function activeJourney(email: string): Promise<{ id: string; session: string }> {
  const linked = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: email, password: 'sekret' } });
  expect(linked.status).toBe(201);
  const started = await stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'parkingplus', accountId: linked.body.accountId, securedParkingId: 187, plate: 'B123XYZ' },
  });
  expect(started.status).toBe(201);
  const { id } = started.body;
  const session = started.body.upstream.reference;
  expect((await gate(session)).status).toBe(200);
  expect((await stack.api(`/v1/journeys/${id}/enter`, { body: {} })).body.state).toBe('active');
  return { id, session };
}

/** ... then until Parking+Plus has its payment: `paid`. */
async function paidJourney(email: string): Promise<{ id: string; session: string }> {
  const { id, session } = await activeJourney(email);
  expect((await stack.api(`/v1/journeys/${id}/finalize`, { body: {} })).body.state).toBe('awaiting_payment');
  const pay = await stack.api(`/v1/journeys/${id}/pay`, { body: {} });
  const paid = await fetch(pay.body.redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ processor: 'mobilpay', card_number: '9900004810225098', exp_date: '12/30', cvv: '111' }),
  });
  expect(await paid.text()).toContain('Payment sent'); // the pay page sent the WebView back to parkflow (return_url)
  await eventually(async () => ((await view(id)).state === 'paid' ? true : undefined), 15_000, 'paid');
  return { id, session };
}

/** The workflow task that completed once the first step's activity had answered. */
const afterFirstStep = (events: HistoryEvent[]) => events.slice(events.findIndex((e) => e.activityTaskCompletedEventAttributes)).find((e) => e.workflowTaskCompletedEventAttributes)!;


/** The reset run's own view once it settled in one of `states` (a failed first step settles it too). */
async function settled(handle: WorkflowHandle, states: string[]): Promise<JourneyView> {
  return eventually(async () => {
    const current = await handle.query(getJourney).catch(() => undefined);
    return current && [...states, 'failed'].includes(current.state) ? current : undefined;
  }, 20_000, `the reset run in ${states.join(' or ')}`);
}

describe('Parking+Plus journey reset by an operator (dev server)', () => {
  test('a paid journey reset to its first workflow task adopts its exiting session, is paid again, then completes', async () => {
    const email = 'reset-paid@example.com';
    const { id, session } = await paidJourney(email);

    const handle = await resetTo(stack.env.client, id, firstWorkflowTask);
    const again = await settled(handle, ['paid']);
    expect({ state: again.state, failure: again.failure }).toEqual({ state: 'paid', failure: undefined });
    const seen = await view(id);
    expect(seen).toMatchObject({ state: 'paid', upstream: { reference: session }, payment: { method: 'parkingplus', status: 'captured' } });
    expect(seen.timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid']);
    expect(sessionsOf(email).map((s) => String(s.id))).toEqual([session]); // adopted, none created

    expect((await stack.api(`/v1/journeys/${id}/exit`, { body: {} })).body.state).toBe('exiting');
    expect((await gate(session)).status).toBe(200);
    const done = (await handle.result()) as JourneyView;
    expect(done.state).toBe('completed');
    expect((await view(id)).state).toBe('completed');
    expect(sessionsOf(email)).toHaveLength(1);

    await expect(Worker.runReplayHistory(await replayOptions(), await handle.fetchHistory(), id)).resolves.toBeUndefined();
  });
  test('an active journey reset to its first workflow task adopts its active session and can be finalized', async () => {
    const email = 'reset-active@example.com';
    const { id, session } = await activeJourney(email);

    const handle = await resetTo(stack.env.client, id, firstWorkflowTask);
    const again = await settled(handle, ['active']);
    expect({ state: again.state, reference: again.upstream.reference }).toEqual({ state: 'active', reference: session });
    expect((await stack.api(`/v1/journeys/${id}/finalize`, { body: {} })).body.state).toBe('awaiting_payment');
    expect(sessionsOf(email).map((s) => String(s.id))).toEqual([session]);
    await expect(Worker.runReplayHistory(await replayOptions(), await handle.fetchHistory(), id)).resolves.toBeUndefined();
  });

  test('a completed journey reset to its first workflow task finds its session ended and creates none', async () => {
    const email = 'reset-completed@example.com';
    const { id, session } = await paidJourney(email);
    await stack.api(`/v1/journeys/${id}/exit`, { body: {} });
    expect((await gate(session)).status).toBe(200);
    await eventually(async () => ((await view(id)).state === 'completed' ? true : undefined), 15_000, 'completed');

    // Parking+Plus no longer has it as current (404); the driver's transactions still list it.
    const handle = await resetTo(stack.env.client, id, firstWorkflowTask);
    const again = await settled(handle, ['completed']);
    expect({ state: again.state, failure: again.failure }).toEqual({ state: 'completed', failure: undefined });
    expect(await handle.result()).toMatchObject({ state: 'completed', amount: { value: '5.00', currency: 'RON' } });
    expect(sessionsOf(email).map((s) => String(s.id))).toEqual([session]);
    await expect(Worker.runReplayHistory(await replayOptions(), await handle.fetchHistory(), id)).resolves.toBeUndefined();
  });
  test('a paid journey reset to after its first step reads its session finalized and catches up, creating nothing', async () => {
    const email = 'reset-after-first-step@example.com';
    const { id, session } = await paidJourney(email);

    const handle = await resetTo(stack.env.client, id, afterFirstStep);
    const again = await settled(handle, ['paid']);
    expect({ state: again.state, failure: again.failure }).toEqual({ state: 'paid', failure: undefined });
    expect(again.timeline.map((t) => t.state)).toEqual(['entering', 'active', 'finalizing', 'awaiting_payment', 'paid']);
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'openParkingPlusSession')).toHaveLength(1); // the kept one
    expect(sessionsOf(email).map((s) => String(s.id))).toEqual([session]);
    await expect(Worker.runReplayHistory(await replayOptions(), history, id)).resolves.toBeUndefined();
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
