export type TemporalBinaryKind = 'cli' | 'testServer';
export declare const ROOT: string;
export declare function locate(kind: TemporalBinaryKind): { path: string; source: 'env' | 'path' | 'venv' } | undefined;
/** The binary's path; throws an Error whose message names the fix. */
export declare function requireBinary(kind: TemporalBinaryKind): string;
