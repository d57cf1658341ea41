import { afterAll, beforeAll } from 'vitest';
import { dropTestDatabases } from './postgres-databases';
import { S3Emulator, setCurrentS3Emulator } from './s3-emulator';

// The integration-scale project: one S3-compatible emulator per test file for every server in
// it, and a PostgreSQL database per server, all dropped when the file ends.
let emulator: S3Emulator;

beforeAll(async () => {
  emulator = await S3Emulator.start();
  setCurrentS3Emulator(emulator);
});

afterAll(async () => {
  setCurrentS3Emulator(null);
  await emulator.close();
  await dropTestDatabases();
});
