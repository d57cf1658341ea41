/** The Chromium the browser tests and benchmarks drive: Debian's unless COFFRE_CHROMIUM says otherwise. */
export function chromiumPath(): string {
  return process.env.COFFRE_CHROMIUM || '/usr/bin/chromium';
}
