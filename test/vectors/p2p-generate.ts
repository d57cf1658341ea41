// Writes test/vectors/p2p.json. Run by hand after a deliberate change to format.md §13:
//   npx tsx test/vectors/p2p-generate.ts
import { writeFileSync } from 'node:fs';
import { initCrypto } from '@coffre/core/crypto';
import { makeP2pVectors } from './p2p-vectors';

await initCrypto();
writeFileSync(
  new URL('./p2p.json', import.meta.url),
  `${JSON.stringify(makeP2pVectors(), null, 2)}\n`,
);
