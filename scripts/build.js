#!/usr/bin/env node
'use strict';
// npm run build: compiles src/ to dist/ (dist/main.js is the entry), then prebuilds the workflow
// bundle into dist/workflow-bundle.js, where the compiled worker looks for it: a production worker
// starts without webpack. The bundle is made from the compiled workflows with the data converter's
// failure and payload converters, exactly what a worker would bundle at start.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

async function main() {
  fs.rmSync(DIST, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error('tsc failed');

  const { bundleWorkflowCode } = require('@temporalio/worker');
  const { createDataConverter } = require(path.join(DIST, 'temporal/data-converter'));
  const { PREBUILT_WORKFLOW_BUNDLE } = require(path.join(DIST, 'worker'));
  // Only the converters' paths matter to the bundle, not the keys.
  const { failureConverterPath, payloadConverterPath } = createDataConverter({
    PARKFLOW_PAYLOAD_KEYS: [{ id: 'build', key: Buffer.alloc(32).toString('base64') }],
  });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(DIST, 'workflows')),
    failureConverterPath,
    payloadConverterPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  fs.writeFileSync(PREBUILT_WORKFLOW_BUNDLE, code);
  console.log(
    `build: ${path.relative(ROOT, DIST)}/main.js and ${path.relative(ROOT, PREBUILT_WORKFLOW_BUNDLE)} (${Math.round(code.length / 1024)} KiB)`,
  );
}

main().catch((err) => {
  console.error(`build: ${err.message}`);
  process.exit(1);
});
