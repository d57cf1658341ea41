import { afterAll, beforeAll } from 'vitest';
import { S3Emulator, setCurrentS3Emulator } from './s3-emulator';

// The integration-s3 project: one S3-compatible emulator per test file, for every server in it.
let emulator: S3Emulator;

beforeAll(async () => {
  emulator = await S3Emulator.start();
  setCurrentS3Emulator(emulator);
});

afterAll(async () => {
  setCurrentS3Emulator(null);
  await emulator.close();
});
