import type { FastifyInstance } from 'fastify';

/** http(s) and ws(s) forms of the signal server's origin: Socket.IO may use either. */
function signalOrigins(signalOrigin: string | null): string[] {
  if (!signalOrigin) return [];
  const url = new URL(signalOrigin);
  const secure = url.protocol === 'https:';
  return [`${secure ? 'https' : 'http'}://${url.host}`, `${secure ? 'wss' : 'ws'}://${url.host}`];
}

/**
 * The CSP allows only the app's own scripts (plus WebAssembly for libsodium): no inline code, no
 * eval, no framing (R21).
 */
function contentSecurityPolicy(signalOrigin: string | null): string {
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['media-src', ["'self'", 'blob:']],
    ['worker-src', ["'self'", 'blob:']],
    ['connect-src', ["'self'", ...signalOrigins(signalOrigin)]],
    ['frame-ancestors', ["'none'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'self'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join(';');
}

/** Headers of every answer, the app page and the API alike. */
export function securityHeaders(signalOrigin: string | null): [string, string][] {
  return [
    ['content-security-policy', contentSecurityPolicy(signalOrigin)],
    // The app loads nothing cross-origin; these keep other sites from embedding or opening it.
    ['cross-origin-opener-policy', 'same-origin'],
    ['cross-origin-resource-policy', 'same-origin'],
    ['origin-agent-cluster', '?1'],
    ['referrer-policy', 'no-referrer'],
    ['strict-transport-security', `max-age=${365 * 24 * 60 * 60}; includeSubDomains`],
    ['x-content-type-options', 'nosniff'],
    ['x-dns-prefetch-control', 'off'],
    ['x-download-options', 'noopen'],
    ['x-frame-options', 'DENY'],
    ['x-permitted-cross-domain-policies', 'none'],
    // The old XSS auditors did more harm than good; CSP is the protection.
    ['x-xss-protection', '0'],
  ];
}

// A host name or an IP literal, nothing that could smuggle another directive into the CSP.
const HOST_NAME = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/i;
const PER_HOST_CACHE = 64;

/**
 * Sets the security headers on every response. They are the same for every request, so they are
 * built once: a middleware that assembled them per request (as helmet does) took about 5% of the
 * server's CPU under a flood of sign-ups. With a `:port` signal URL the CSP names the host the
 * page was asked for, so those headers are built once per host.
 */
export function installSecurityHeaders(app: FastifyInstance, signalUrl: string | null): void {
  const portOnly = signalUrl?.startsWith(':') ? signalUrl : null;
  const fixed = securityHeaders(portOnly ? null : signalUrl);
  const perHost = new Map<string, [string, string][]>();
  const headersFor = (protocol: string, hostname: string): [string, string][] => {
    if (!portOnly || !HOST_NAME.test(hostname)) return fixed;
    const key = `${protocol}://${hostname}`;
    let headers = perHost.get(key);
    if (!headers) {
      if (perHost.size >= PER_HOST_CACHE) perHost.clear();
      headers = securityHeaders(`${key}${portOnly}`);
      perHost.set(key, headers);
    }
    return headers;
  };
  app.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so even an answer Fastify does not send itself carries them.
    const headers = portOnly ? headersFor(request.protocol, request.hostname) : fixed;
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}
