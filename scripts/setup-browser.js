#!/usr/bin/env node
'use strict';
// Makes sure a Chromium exists for the browser tests, which drive it with playwright-core (never a
// Playwright browser download). Order: CHROMIUM_PATH → /usr/bin/chromium → chromium or
// chromium-browser on PATH. When none is found and we are root with apt-get, installs Debian's
// `chromium` package. Idempotent: does nothing, and prints nothing, when Chromium is found.
const { spawnSync } = require('node:child_process');
const { isExecutable, onPath } = require('./executables');

const FIX = "install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable";


/**
 * The Chromium executable to launch, or undefined when there is none.
 * Throws when CHROMIUM_PATH is set but is not an executable file (an explicit override is never
 * silently replaced by another browser).
 * @returns {string | undefined}
 */
function locateChromium() {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!isExecutable(override)) throw new Error(`CHROMIUM_PATH=${override} is not an executable file: fix the path or unset it.`);
    return override;
  }
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium';
  return onPath('chromium') || onPath('chromium-browser');
}

function fail(message) {
  console.error(`parkflow setup: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ok: result.status === 0, output: `${result.stdout || ''}${result.stderr || ''}`.trim(), error: result.error };
}

function lastLine(text) {
  return (text.split('\n').filter(Boolean).pop() || 'no output').slice(0, 200);
}

function locateOrFail() {
  try {
    return locateChromium();
  } catch (err) {
    return fail(err.message);
  }
}

function main() {
  if (locateOrFail()) return;

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = onPath('apt-get');
  if (!isRoot || !aptGet) fail(`no Chromium found: ${FIX}.`);

  console.log('parkflow setup: installing Debian chromium with apt-get');
  // A failed update (one unreachable mirror, say) does not stop the install: stale lists may do.
  const update = run(aptGet, ['-q', 'update']);
  const install = run(aptGet, ['-q', '-y', '-o', 'DPkg::Lock::Timeout=120', 'install', '--no-install-recommends', 'chromium']);
  if (!install.ok) {
    const why = lastLine(install.error ? String(install.error.message) : install.output);
    const updateNote = update.ok ? '' : ` (apt-get update also failed: ${lastLine(update.output)})`;
    fail(`apt-get could not install chromium: ${why}${updateNote}; ${FIX}.`);
  }
  if (!locateOrFail()) fail(`apt-get installed chromium but no executable was found: ${FIX}.`);
}

module.exports = { locateChromium };

if (require.main === module) main();
