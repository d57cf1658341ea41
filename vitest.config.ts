import { defineConfig } from 'vitest/config';

// Three suites: pure unit tests and format vectors, integration tests against a real server on an
// ephemeral port, and end-to-end tests in real Chromium. `npm test` builds the client first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/vectors/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/chromium-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        // WebRTC between Chromium processes: only inside a loopback-only network namespace,
        // which `npm run test:p2p` enters (test/p2p/loopback.ts refuses to run elsewhere).
        test: {
          name: 'p2p',
          include: ['test/p2p/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
