/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  // A test that times out inside worker.runUntil leaves that worker polling a server its suite has stopped;
  // the run must still end (and report the failure) rather than wait for it.
  forceExit: true,
};
