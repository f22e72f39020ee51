import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../scripts/free-port';
import { API_KEY, startStack, type Stack } from './support/stack';

// The README's walkthroughs run as written. Every ```sh block that uses curl talks to the service,
// so it is run with bash (set -euo pipefail) against a real stack: the blocks read API, API_KEY,
// PARKINGPLUS_URL and LINKC_URL, with `npm start`'s addresses as defaults. A block's last line
// names, in its trailing comment, what it prints last (`... | jq -r .state   # completed`). Each
// block runs twice: a second run must not trip over what the first one left (ticket, driver).
// Other ```sh blocks (npm install, npm test) are not run.

/** The walkthroughs that must stay in the README (and runnable). */
const WALKTHROUGHS = [
  'A Parking+Plus journey with curl',
  'A LinkC journey (pay at exit)',
  'An Ector journey (a prepaid airport booking)',
  'Journey events: subscribe, receive, verify',
];
/** Longest a block may run: its waits poll for at most 2 minutes each, but here the journeys poll every 200 ms. */
const BLOCK_TIMEOUT_MS = 90_000;

interface ShBlock {
  heading: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

function shBlocks(markdown: string): ShBlock[] {
  const blocks: ShBlock[] = [];
  let heading = '';
  let open: { line: number; lines: string[] } | undefined;
  markdown.split('\n').forEach((text, i) => {
    if (open) {
      if (/^```\s*$/.test(text)) {
        blocks.push({ heading, line: open.line, code: open.lines.join('\n') });
        open = undefined;
      } else open.lines.push(text);
    } else if (/^```(sh|bash)\s*$/.test(text)) open = { line: i + 1, lines: [] };
    else if (/^#{1,6} /.test(text)) heading = text.replace(/^#+ /, '').trim();
  });
  if (open) throw new Error(`README.md: the code block at line ${open.line} is never closed`);
  return blocks;
}

/** What the block prints last: the trailing comment of its last line (`# completed`, `# "paid"`). */
function finalOutput(block: ShBlock): string | undefined {
  const last = block.code.trimEnd().split('\n').pop() ?? '';
  return /\s#\s*(\S+)\s*$/.exec(last)?.[1];
}

function runBash(code: string, env: Record<string, string>): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], { env: { ...process.env, ...env }, timeout: BLOCK_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, stdout, stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr }));
  });
}

const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
const blocks = shBlocks(readme);
const runnable = blocks.filter((b) => /\bcurl\b/.test(b.code));

test('the README keeps its walkthroughs, each ending with the state it reaches', () => {
  expect(runnable.map((b) => b.heading)).toEqual(expect.arrayContaining(WALKTHROUGHS));
  for (const block of runnable) {
    expect({ heading: block.heading, line: block.line, finalOutput: finalOutput(block) }).toEqual({
      heading: block.heading,
      line: block.line,
      finalOutput: expect.any(String),
    });
  }
});

describe('README walkthroughs run against a running service', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The events walkthrough's receiver listens on loopback, as under `npm start` (development).
    stack = await startStack({ SUBSCRIBER_PRIVATE_TARGETS: 'true' });
    env = {
      RECEIVER_PORT: String(await freePort()),
      API: stack.service.apiUrl!.replace(/\/$/, ''),
      API_KEY,
      PARKINGPLUS_URL: stack.parkingPlusServer.url.replace(/\/$/, ''),
      LINKC_URL: stack.config.LINKC_BASE_URL.replace(/\/$/, ''),
    };
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test.each(runnable.map((b) => [`${b.heading} (README.md line ${b.line})`, b] as const))(
    '%s',
    async (_name, block) => {
      const expected = finalOutput(block);
      for (const run of [1, 2]) {
        const { exitCode, stdout, stderr } = await runBash(block.code, env);
        const lastLine = stdout.trimEnd().split('\n').pop();
        if (exitCode !== 0 || lastLine !== expected) {
          const what =
            exitCode !== 0 ? `exited with ${exitCode}` : `printed ${JSON.stringify(lastLine)} last, not ${JSON.stringify(expected)}`;
          throw new Error(`run ${run} of the block ${what}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
        }
        expect(lastLine).toBe(expected);
      }
    },
    2 * BLOCK_TIMEOUT_MS + 10_000,
  );
});
