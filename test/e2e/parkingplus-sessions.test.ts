import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// One Parking+Plus session belongs to exactly one journey. Parking+Plus keeps one open session per
// driver and has no field for a client reference, so a journey adopts a session only when it
// recorded that session itself; any other open session of the driver refuses the start (422).

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

async function linkDriver(email: string): Promise<string> {
  const res = await stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: email, password: 'sekret' } });
  expect(res.status).toBe(201);
  return res.body.accountId;
}

const start = (accountId: string) =>
  stack.api('/v1/journeys', {
    headers: { 'idempotency-key': randomUUID() },
    body: { provider: 'parkingplus', accountId, securedParkingId: 187, plate: 'B123XYZ' },
  });
const sessionsOf = (email: string) => [...stack.parkingPlus.world.sessions.values()].filter((s) => s.email === email);

describe('Parking+Plus: one upstream session per journey (dev server)', () => {
  test('8 concurrent starts for one driver and parking: one journey gets the session, the others are refused with a 4xx', async () => {
    const email = 'concurrent-starts@example.com';
    const accountId = await linkDriver(email);

    const answers = await Promise.all(Array.from({ length: 8 }, () => start(accountId)));

    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(accepted).toHaveLength(1);
    for (const answer of refused) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.type).toContain('application/problem+json');
    }
    expect(sessionsOf(email)).toHaveLength(1);
    expect(accepted[0]!.body.upstream.reference).toBe(String(sessionsOf(email)[0]!.id));
  });

  test('a journey started right after another was cancelled does not adopt the cancelled one’s session', async () => {
    const email = 'cancel-then-start@example.com';
    const accountId = await linkDriver(email);
    const first = await start(accountId);
    expect(first.status).toBe(201);
    expect((await stack.api(`/v1/journeys/${first.body.id}/cancel`, { body: {} })).body.state).toBe('cancelled');

    // Parking+Plus still has the cancelled journey's session open (its entrance key has not lapsed).
    const second = await start(accountId);
    expect(second.status).toBe(422);
    expect(second.body.detail).toContain('already has a parking session in progress');
    expect(sessionsOf(email)).toHaveLength(1);

    // Once the unused entrance key lapsed, Parking+Plus closes that session: a new journey gets its own.
    stack.parkingPlus.clock.advance(6 * 60_000);
    const third = await start(accountId);
    expect(third.status).toBe(201);
    expect(third.body.upstream.reference).not.toBe(first.body.upstream.reference);
    expect(sessionsOf(email).map((s) => s.state)).toEqual(['closed', 'entering']);
  });
});

test('every answer of this suite is what /openapi.json says', async () => {
  expect(await stack.contractViolations()).toEqual([]);
});
