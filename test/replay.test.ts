import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { workflowBundle } from './support/temporal';

// Histories recorded from an end-to-end run (RECORD_HISTORIES=1 npx jest test/e2e) must keep
// replaying: a change to a workflow that breaks one of them needs patched().
const dir = path.join(__dirname, 'fixtures/histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories of every workflow type', () => {
  const types = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name);
  expect(new Set(types)).toEqual(new Set(['parkingPlusJourney', 'parkingPlusAccount', 'payment', 'linkcJourney', 'ectorJourney']));
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.json$/, ''))).resolves.toBeUndefined();
});
