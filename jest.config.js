// Tests run from the tsc output (dist/), so one compile type-checks and builds everything and
// integration tests can spawn the same compiled processes the README starts.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tools/build/jest-summary-reporter.js'],
};
