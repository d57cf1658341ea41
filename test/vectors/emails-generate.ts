// Writes test/vectors/emails.json. Run by hand after a deliberate change to the email rule:
//   npx tsx test/vectors/emails-generate.ts
import { writeFileSync } from 'node:fs';
import { emailVectorsText, makeEmailVectors } from './emails-vectors';

writeFileSync(new URL('./emails.json', import.meta.url), emailVectorsText(makeEmailVectors()));
