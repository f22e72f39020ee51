import { chromium, type Browser } from 'playwright-core';
import { locateChromium } from '../../scripts/setup-browser';

// Debian's chromium, driven by playwright-core: never a Playwright browser download.
// --no-sandbox: tests run as root in containers, where Chromium's sandbox cannot start.
// The rest keep a test browser from phoning home (updates, sync, QUIC) or probing a GPU.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium; throws an Error saying why when there is none or it cannot start. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = locateChromium();
  if (!executablePath) {
    throw new Error("No Chromium found for the browser tests: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.");
  }
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not launch Chromium at ${executablePath}: ${reason}`, { cause: err });
  }
}
