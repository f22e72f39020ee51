/**
 * The Chromium executable for browser tests: CHROMIUM_PATH, then /usr/bin/chromium, then
 * `chromium` / `chromium-browser` on PATH; undefined when none is found. Throws an Error naming
 * the fix when CHROMIUM_PATH is set but is not an executable file.
 */
export declare function locateChromium(): string | undefined;
