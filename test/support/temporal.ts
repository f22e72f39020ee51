import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { type DataConverter } from '@temporalio/common';
import { requireBinary } from '../../scripts/temporal-binaries';
import { loadConfig } from '../../src/config';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

// Worker chatter (state changes, bundling) stays out of the test output; errors show.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed by another test file in this process */
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
  });
  return bundle;
}

/** The service's data converter with the development key ring: give it to every Worker a test creates on these envs. */
export function testDataConverter(): DataConverter {
  return createDataConverter(loadConfig({ NODE_ENV: 'test' }));
}

/** What a replay of this project's histories needs: the workflow code and the data converter (encrypted payloads). */
export async function replayOptions(): Promise<{ workflowBundle: WorkflowBundleWithSourceMap; dataConverter: DataConverter }> {
  return { workflowBundle: await workflowBundle(), dataConverter: testDataConverter() };
}

/** Java's time-skipping test server, from the project's own install (never a download); its client encrypts. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: requireBinary('testServer') } },
    client: { dataConverter: testDataConverter() },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      JOURNEY_SEARCH_ATTRIBUTES.map((key) => [
        key.name,
        key.type === 'DATETIME' ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta),
};
