import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { findClearValues, type RecordedRun } from './support/history-scan';

// The scan of every end-to-end history (test/support/history-scan.ts) must be able to fail:
// here it is fed histories as the server would return them, with and without a datum in clear.

const json = (value: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });
const encrypted = () => ({ metadata: { encoding: Buffer.from('binary/encrypted') }, data: randomBytes(64) });

function run(workflowId: string, input: ReturnType<typeof json>, searchAttributes: Record<string, ReturnType<typeof json>> = {}): RecordedRun {
  const history = temporal.api.history.v1.History.fromObject({
    events: [
      {
        eventId: 1,
        eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflowExecutionStartedEventAttributes: { input: { payloads: [input] } },
      },
      {
        eventId: 5,
        eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: searchAttributes } },
      },
    ],
  });
  return { workflowId, records: [history] };
}

test('a plate in a clear payload is found, however it is cased', () => {
  const runs = [run('journey-e2e-1', json({ provider: 'parkingplus', plate: 'cj-07-sax' }))];
  expect(findClearValues(runs, ['CJ-07-SAX'])).toEqual([{ workflowId: 'journey-e2e-1', value: 'CJ-07-SAX' }]);
});

test('a plate in a search attribute is found', () => {
  const runs = [run('journey-e2e-2', encrypted(), { JourneyPlate: json('B123XYZ') })];
  expect(findClearValues(runs, ['B123XYZ'])).toEqual([{ workflowId: 'journey-e2e-2', value: 'B123XYZ' }]);
});

test('card numbers, tokens and e-mails in clear are each named; encrypted payloads hide them', () => {
  const leaky = run('payment-journey-e2e-3.1', json({ card: '9900004810225098', token: 'tok_abcdef123456', email: 'camille@example.com' }));
  const sealed = run('payment-journey-e2e-4.1', encrypted(), { PaymentStatus: json('captured') });
  const findings = findClearValues([leaky, sealed], ['9900004810225098', 'tok_abcdef123456', 'camille@example.com']);
  expect(findings.map((f) => `${f.workflowId} ${f.value}`)).toEqual([
    'payment-journey-e2e-3.1 9900004810225098',
    'payment-journey-e2e-3.1 tok_abcdef123456',
    'payment-journey-e2e-3.1 camille@example.com',
  ]);
});

test('a value inside a longer word is not a finding, nor is a value too short to mean anything', () => {
  const runs = [run('journey-e2e-5', json({ note: 'Martinez parked; name unknown' }))];
  expect(findClearValues(runs, ['Martin', 'name'])).toEqual([]);
});
