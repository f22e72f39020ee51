// npm run bench: HTTP step latencies of 20 Parking+Plus journeys, end to end (API → dev server →
// worker → simulator), on this machine. Prints p50/p95/max per step.
import { performance } from 'node:perf_hooks';
import { startStack, eventually } from '../test/support/stack';

const JOURNEYS = Number(process.env.BENCH_JOURNEYS ?? 20);

async function main() {
  const stack = await startStack({ LOG_LEVEL: 'silent' });
  const timings: Record<string, number[]> = {};
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await fn();
    (timings[step] ??= []).push(performance.now() - start);
    return result;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API answers JSON the bench reads
  const ok = (res: { status: number; body: any }, status: number, step: string) => {
    if (res.status !== status) throw new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const gate = (session: string) => fetch(`${stack.parkingPlusServer.url}/__sandbox/parking_sessions/${session}/gate`, { method: 'POST' });

  try {
    for (let i = 0; i < JOURNEYS; i++) {
      const email = `bench-${i}@example.com`;
      const account = ok(await timed('POST /v1/accounts', () => stack.api('/v1/accounts', { body: { provider: 'parkingplus', grant: 'password', username: email, password: 'sekret' } })), 201, 'link');
      const body = { provider: 'parkingplus', accountId: account.body.accountId, securedParkingId: 187 };
      const headers = { 'idempotency-key': `bench-${Date.now()}-${i}` };
      const started = ok(await timed('POST /v1/journeys', () => stack.api('/v1/journeys', { headers, body })), 201, 'start');
      ok(await timed('POST /v1/journeys (replay)', () => stack.api('/v1/journeys', { headers, body })), 201, 'replay');
      const id = started.body.id as string;
      const session = String(started.body.upstream.reference);
      await gate(session);
      ok(await timed('POST …/enter', () => stack.api(`/v1/journeys/${id}/enter`, { body: {} })), 200, 'enter');
      ok(await timed('POST …/finalize', () => stack.api(`/v1/journeys/${id}/finalize`, { body: {} })), 200, 'finalize');
      const pay = ok(await timed('POST …/pay', () => stack.api(`/v1/journeys/${id}/pay`, { body: {} })), 200, 'pay');
      await fetch(pay.body.redirectUrl, { method: 'POST', body: new URLSearchParams({ processor: 'epx', card_number: '4000000000000002' }) });
      await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === 'paid' ? true : undefined));
      ok(await timed('POST …/exit', () => stack.api(`/v1/journeys/${id}/exit`, { body: {} })), 200, 'exit');
      ok(await timed('GET …/{id}', () => stack.api(`/v1/journeys/${id}`)), 200, 'get');
      ok(await timed('POST …/finalize (wrong state, 409)', () => stack.api(`/v1/journeys/${id}/finalize`, { body: {} })), 409, 'wrong state');
      await gate(session);
      await eventually(async () => ((await stack.api(`/v1/journeys/${id}`)).body.state === 'completed' ? true : undefined));
    }
  } finally {
    await stack.stop();
  }

  const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
  console.log(`\nHTTP step latency over ${JOURNEYS} journeys (ms)`);
  console.log('step'.padEnd(36), 'p50'.padStart(7), 'p95'.padStart(7), 'max'.padStart(7));
  for (const [step, values] of Object.entries(timings)) {
    console.log(step.padEnd(36), pct(values, 50).toFixed(1).padStart(7), pct(values, 95).toFixed(1).padStart(7), Math.max(...values).toFixed(1).padStart(7));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
