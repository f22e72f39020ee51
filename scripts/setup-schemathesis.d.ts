/** The schemathesis version `scripts/setup-schemathesis.js` installs into .tools/schemathesis. */
export declare const SCHEMATHESIS_VERSION: string;
/**
 * The `st` executable: SCHEMATHESIS_PATH, else .tools/schemathesis/bin/st when it holds the pinned
 * version; undefined when neither is there. Throws an Error naming the fix when SCHEMATHESIS_PATH is
 * set but is not an executable file.
 */
export declare function locateSchemathesis(): string | undefined;
