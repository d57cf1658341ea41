import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Three suites: pure unit tests and format vectors, integration tests against a real server on an
// ephemeral port, and end-to-end tests in real Chromium. `npm test` builds the client first.
export default defineConfig({
  test: {
    projects: [
      {
        // Compiles state/'s runes modules, so their logic is tested in Node (they need none of
        // the components' preprocessing).
        plugins: [svelte({ configFile: false })],
        test: {
          name: 'unit',
          include: [
            'test/unit/**/*.test.ts',
            'test/vectors/**/*.test.ts',
            'test/lint/**/*.test.ts',
          ],
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
        // The same integration suite on the scale-out engines: metadata in PostgreSQL, chunks in
        // an S3-compatible bucket (a local emulator).
        test: {
          name: 'integration-scale',
          include: ['test/integration/**/*.test.ts'],
          // The signal server and the S3 store's own test use no database or blob store, and the
          // PostgreSQL restart test brings a PostgreSQL of its own.
          exclude: [
            'test/integration/signal-*.test.ts',
            'test/integration/s3-blob-store.test.ts',
            'test/integration/postgres-restart.test.ts',
          ],
          environment: 'node',
          env: { COFFRE_TEST_BLOB_STORE: 's3', COFFRE_TEST_DATABASE: 'postgres' },
          setupFiles: ['test/integration/stores-setup.ts'],
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
          // The namespace has a loopback of its own: PostgreSQL is reached through its socket.
          env: {
            COFFRE_TEST_POSTGRES_URL:
              'postgres://postgres@localhost/postgres?host=/var/run/postgresql',
          },
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
