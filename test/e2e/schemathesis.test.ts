import { FUZZ_STACK_ENV, GATE_CHECKS, formatFigures, formatFindings, passed, runSchemathesis } from '../../scripts/fuzz';
import { API_KEY, startStack, type Stack } from '../support/stack';
import { endOfSuite } from '../support/end-of-suite';

// schemathesis against /openapi.json on the real stack, at a small count (≈ 150–200 requests): the
// examples, fuzzing and stateful phases, deterministic generation, and the gate's checks (no 5xx;
// status codes, content types and bodies as the spec says). `npm run fuzz` runs the same with the
// coverage phase and at least 10,000 requests, a quarter of them in stateful chains.

const MAX_EXAMPLES = Number(process.env.FUZZ_TEST_MAX_EXAMPLES ?? 8);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(FUZZ_STACK_ENV);
}, 120_000);
afterAll(async () => {
  await endOfSuite(stack); // the clear-secrets scan, then stop
});

test('schemathesis finds no server error and no answer that /openapi.json does not describe', async () => {
  const result = await runSchemathesis({
    apiUrl: stack.service.apiUrl!,
    apiKey: API_KEY,
    maxExamples: MAX_EXAMPLES,
    phases: ['examples', 'fuzzing', 'stateful'],
    checks: GATE_CHECKS,
    timeoutMs: 150_000,
  });
  const figures = formatFigures(result);
  if (!passed(result)) {
    throw new Error(`${figures}\n\nFindings\n${formatFindings(result)}\n\n${result.failureReport || result.output.slice(-4000)}`);
  }
  console.log(figures);
  expect(result.requests).toBeGreaterThanOrEqual(50);
  expect(result.perPhase.stateful ?? 0).toBeGreaterThan(0);
}, 180_000);
