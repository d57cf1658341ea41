// Browser entry of the benchmark: bundled by run.ts and loaded in headless Chromium.
import { initCrypto } from '@coffre/core/crypto';
import { measureAll, type Result } from './measure';

declare global {
  interface Window {
    benchResults?: Result[];
    benchError?: string;
  }
}

initCrypto()
  .then(() => measureAll((line) => console.log(line)))
  .then(
    (results) => {
      window.benchResults = results;
    },
    (error: unknown) => {
      window.benchError = String(error);
    },
  );
