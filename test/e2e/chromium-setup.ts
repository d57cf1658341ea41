import { existsSync } from 'node:fs';
import { chromiumPath } from './chromium-path';

// Browser tests are never skipped silently: without a Chromium the suite stops here and says how
// to get one.
export default function checkChromium(): void {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new Error(
      `No Chromium found at ${path}. Install Debian's build with \`apt-get install -y chromium\`, ` +
        'or point COFFRE_CHROMIUM at a Chromium or Chrome binary.',
    );
  }
  if (!existsSync('dist/client/index.html')) {
    throw new Error(
      'The client is not built: run `npm run build` (or just `npm test`, which builds it).',
    );
  }
}
