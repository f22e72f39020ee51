// npm run replay -- <workflow id | path/to/history.json>: replays one workflow history against the
// current workflow code, with parkflow's data converter (encrypted payloads are decrypted with
// PARKFLOW_PAYLOAD_KEYS; histories recorded before encryption replay as they are). A workflow id is
// fetched (its latest run) from the Temporal the environment names; a file is what
// `temporal workflow show --output json` or the Web UI's download writes.
// Exit code: 0 it replays; 1 it does not (nondeterminism or a failing workflow task, printed); 2 usage or I/O.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { type temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { connectClient } from '../src/temporal/connection';
import { createDataConverter } from '../src/temporal/data-converter';
import { workflowCode } from '../src/worker';

type Replay = { label: string; workflowId: string; history: temporal.api.history.v1.IHistory };

const USAGE = 'usage: npm run replay -- <workflow id | path/to/history.json>';

/**
 * The id the history's workflow ran under, as its started event records it. Replays must use it: the
 * journeys derive their payment workflows' ids from their own and tell a stranger's signal from their own.
 */
export function recordedWorkflowId(history: temporal.api.history.v1.IHistory): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || undefined;
}

async function load(target: string, config: Config): Promise<Replay> {
  if (existsSync(target)) {
    const history = historyFromJSON(JSON.parse(readFileSync(target, 'utf8')));
    return { label: path.basename(target, '.json'), workflowId: recordedWorkflowId(history) ?? path.basename(target, '.json'), history };
  }
  if (target.endsWith('.json')) throw new Error(`no such file: ${target}`);
  const client = await connectClient(config);
  try {
    return { label: target, workflowId: target, history: await client.workflow.getHandle(target).fetchHistory() };
  } finally {
    await client.connection.close();
  }
}

async function main(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    console.error(USAGE);
    return 2;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // the bundler's and the core's chatter stay out of the answer
  const config = loadConfig();
  let replay: Replay;
  try {
    replay = await load(args[0]!, config);
  } catch (err) {
    console.error(`replay: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const events = replay.history.events?.length ?? 0;
  const options = { ...workflowCode().options, dataConverter: createDataConverter(config), replayName: 'parkflow-replay' };
  for await (const result of Worker.runReplayHistories(options, [replay])) {
    if (result.error) {
      console.error(`${replay.label}: does NOT replay against the current workflow code (${events} events)\n${result.error.message}`);
      return 1;
    }
  }
  console.log(`${replay.label}: replays against the current workflow code (${events} events)`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`replay: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
