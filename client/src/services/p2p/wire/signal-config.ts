// Where the signal server is. The storage server says (protocol.md §2, `GET /config`): an
// absolute URL, or `:port` on the host this page came from — the embedded default, so a phone on
// the same network reaches the signal server of the machine it loaded the app from.
import { ClientConfig, ROUTES, matches } from '@coffre/core/protocol';

/** The signal server's origin for a page at `page`, or null when none is deployed. */
export function resolveSignalUrl(value: string | null, page: URL): string | null {
  if (value === null) return null;
  if (value.startsWith(':')) return `${page.protocol}//${page.hostname}${value}`;
  return new URL(value).origin;
}

let answer: Promise<string | null> | null = null;

/** Asked once per page; a failed ask is asked again next time. */
export function signalServerUrl(): Promise<string | null> {
  answer ??= fetch(ROUTES.config)
    .then(async (response) => {
      const body: unknown = await response.json();
      if (!response.ok || !matches(ClientConfig, body)) throw new Error('no client config');
      return resolveSignalUrl(body.signalUrl, new URL(location.href));
    })
    .catch((error: unknown) => {
      answer = null;
      throw error;
    });
  return answer;
}
