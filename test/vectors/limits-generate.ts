// Writes test/vectors/limits.json. Run by hand after a deliberate change to a limit:
//   npx tsx test/vectors/limits-generate.ts
import { writeFileSync } from 'node:fs';
import { initCrypto } from '@coffre/core/crypto';
import { makeLimitVectors } from './limits-vectors';

await initCrypto();
writeFileSync(
  new URL('./limits.json', import.meta.url),
  `${JSON.stringify(makeLimitVectors(), null, 2)}\n`,
);
