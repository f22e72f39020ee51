import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordedWorkflowId } from '../../scripts/replay';
import { HISTORIES_DIR, HISTORY_KINDS } from '../support/histories';
import { replayOptions } from '../support/temporal';

// A recorded history of every workflow kind and path (RECORD_HISTORIES=1 npx jest test/e2e, named by
// test/support/histories.ts) replays against the current workflow code. Pinned journeys and payments
// finish on the build that started them, but accounts and the zone cache (auto-upgrade) and runs from
// before versioning move to new code: a change that breaks one of these needs patched().
// `.unencrypted`: recorded before payload encryption; they must keep replaying too.

const EXPECTED = [
  'ector-journey.cancelled.mobilpay-captured',
  'ector-journey.cancelled.mobilpay-captured.unencrypted',
  'ector-journey.expired',
  'ector-journey.expired.mobilpay-expired',
  'ector-journey.open-awaiting_payment',
  'ector-journey.open-paid.mobilpay-captured',
  'ector-zone-cache.continued-as-new',
  'ector-zone-cache.filled',
  'linkc-journey.cancelled',
  'linkc-journey.completed.mobilpay-captured',
  'linkc-journey.completed.mobilpay-captured.reset',
  'linkc-journey.completed.mobilpay-captured.unencrypted',
  'linkc-journey.failed',
  'linkc-journey.failed.unencrypted',
  'linkc-journey.open-awaiting_payment',
  'linkc-journey.open-awaiting_payment.requoted-while-paying', // before linkc-quote-holds-while-paying (dev server)
  'linkc-journey.open-paid.epx-captured',
  'linkc-journey.open-paid.mobilpay-captured',
  'linkc-journey.open-paid.mobilpay-captured.reset',
  'parkingplus-account.linked',
  'parkingplus-account.linked.unencrypted',
  'parkingplus-journey.cancelled',
  'parkingplus-journey.cancelled.resumed',
  'parkingplus-journey.cancelled.unencrypted',
  'parkingplus-journey.completed.parkingplus-captured',
  'parkingplus-journey.completed.parkingplus-captured.reset',
  'parkingplus-journey.completed.parkingplus-captured.unencrypted',
  'parkingplus-journey.completed.reset',
  'parkingplus-journey.continued-as-new',
  'parkingplus-journey.failed',
  'parkingplus-journey.failed.unencrypted',
  'parkingplus-journey.open-awaiting_payment.parkingplus-pending.reset',
  'parkingplus-journey.open-entering',
  'parkingplus-journey.open-entering.unencrypted',
  'parkingplus-journey.open-paid.parkingplus-captured',
  'parkingplus-journey.open-paid.parkingplus-captured.reset',
  'payment.captured.epx',
  'payment.captured.epx.unencrypted',
  'payment.captured.mobilpay',
  'payment.captured.mobilpay.reset',
  'payment.captured.mobilpay.unencrypted',
  'payment.declined.epx',
  'payment.declined.mobilpay',
  'payment.declined.mobilpay.unencrypted',
  'payment.expired.mobilpay',
  'payment.expired.mobilpay.unencrypted',
  'refresh-ector-zones.completed',
];

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const recorded = (file: string) => JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));

test('there is a recorded history of every kind and path, each of the kind its name says', () => {
  expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual([...EXPECTED].sort());
  const kinds = files.map((f) => [f, HISTORY_KINDS[recorded(f).events[0].workflowExecutionStartedEventAttributes.workflowType.name]]);
  expect(kinds.filter(([file, kind]) => !file!.startsWith(`${kind}.`))).toEqual([]);
  expect(new Set(kinds.map(([, kind]) => kind))).toEqual(new Set(Object.values(HISTORY_KINDS)));
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(recorded(file));
  const options = await replayOptions();
  await expect(Worker.runReplayHistory(options, history, recordedWorkflowId(history))).resolves.toBeUndefined();
});

describe('npm run replay -- <history.json>', () => {
  const replay = (file: string) => spawnSync('npm', ['run', '--silent', 'replay', '--', file], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test' } });
  const journey = path.join(HISTORIES_DIR, 'parkingplus-journey.completed.parkingplus-captured.json');

  test('a recorded journey replays: exit 0', () => {
    const run = replay(journey);
    expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({
      status: 0,
      stdout: expect.stringMatching(/^parkingplus-journey\.completed\.parkingplus-captured: replays against the current workflow code \(\d+ events\)$/),
    });
  });

  test('a history the current code would not have written: exit 1, the nondeterminism printed', () => {
    const history = recorded(path.basename(journey));
    const scheduled = history.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    const changed = path.join(mkdtempSync(path.join(tmpdir(), 'parkflow-replay-')), 'changed.json');
    writeFileSync(changed, JSON.stringify(history));
    const run = replay(changed);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('changed: does NOT replay against the current workflow code');
    expect(run.stderr).toMatch(/Nondeterminism error: Activity type of scheduled event 'someOtherActivity' does not match/);
  });
});
