#!/usr/bin/env node
'use strict';
// Installs schemathesis (the OpenAPI fuzzer behind `npm run fuzz` and test/e2e/schemathesis.test.ts)
// from PyPI into its own venv, .tools/schemathesis, at a pinned version. Idempotent: does nothing,
// and prints nothing, when that version is already there (or SCHEMATHESIS_PATH names an `st`).
// Run by `npm test`; never by hand.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { isExecutable } = require('./executables');

const ROOT = path.resolve(__dirname, '..');
const VENV_DIR = path.join(ROOT, '.tools', 'schemathesis');
const STAMP = path.join(VENV_DIR, 'parkflow-pinned.json');
/** Bump deliberately: the fuzz script relies on this version's CLI flags and NDJSON report. */
const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * The `st` executable to run: SCHEMATHESIS_PATH, else the project venv's; undefined when neither is
 * there. Throws when SCHEMATHESIS_PATH is set but is not an executable file.
 * @returns {string | undefined}
 */
function locateSchemathesis() {
  const override = process.env.SCHEMATHESIS_PATH;
  if (override) {
    if (!isExecutable(override)) throw new Error(`SCHEMATHESIS_PATH=${override} is not an executable file: fix the path or unset it.`);
    return override;
  }
  const local = path.join(VENV_DIR, 'bin', 'st');
  return isExecutable(local) && installedVersion() === SCHEMATHESIS_VERSION ? local : undefined;
}

function installedVersion() {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8')).schemathesis;
  } catch {
    return undefined;
  }
}

function fail(message) {
  console.error(`parkflow setup: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: result.status === 0, output: `${result.stdout || ''}${result.stderr || ''}`.trim(), error: result.error };
}

function lastLine(text) {
  return (text.split('\n').filter(Boolean).pop() || 'no output').slice(0, 200);
}

function main() {
  if (process.env.PARKFLOW_SKIP_SCHEMATHESIS_SETUP === '1') return;
  try {
    if (locateSchemathesis()) return;
  } catch (err) {
    fail(err.message);
  }

  const python = ['python3', 'python'].find((p) => run(p, ['--version']).ok);
  if (!python) fail('python3 is needed to install schemathesis: install python3, or set SCHEMATHESIS_PATH to an `st` executable.');

  const pip = path.join(VENV_DIR, 'bin', 'pip');
  if (!isExecutable(pip)) {
    fs.mkdirSync(path.dirname(VENV_DIR), { recursive: true });
    const venv = run(python, ['-m', 'venv', VENV_DIR]);
    if (!venv.ok) fail(`could not create ${VENV_DIR} (${lastLine(venv.output)}): install python3-venv, or set SCHEMATHESIS_PATH.`);
  }
  console.log(`parkflow setup: installing schemathesis==${SCHEMATHESIS_VERSION} into .tools/schemathesis`);
  const install = run(pip, ['install', '--disable-pip-version-check', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (!install.ok)
    fail(
      `pip could not install schemathesis==${SCHEMATHESIS_VERSION} (${lastLine(install.output)}): check access to PyPI, or set SCHEMATHESIS_PATH.`,
    );
  const st = path.join(VENV_DIR, 'bin', 'st');
  const version = isExecutable(st) ? run(st, ['--version']) : { ok: false, output: 'no st executable' };
  if (!version.ok || !version.output.includes(SCHEMATHESIS_VERSION))
    fail(`schemathesis installed but \`st --version\` says: ${lastLine(version.output)}`);
  fs.writeFileSync(STAMP, JSON.stringify({ schemathesis: SCHEMATHESIS_VERSION }));
}

module.exports = { locateSchemathesis, SCHEMATHESIS_VERSION };

if (require.main === module) main();
