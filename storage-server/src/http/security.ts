import type { FastifyHelmetOptions } from '@fastify/helmet';

/** http(s) and ws(s) forms of the signal server's origin: Socket.IO may use either. */
function signalOrigins(signalUrl: string | null): string[] {
  if (!signalUrl) return [];
  const url = new URL(signalUrl);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return [`${secure ? 'https' : 'http'}://${url.host}`, `${secure ? 'wss' : 'ws'}://${url.host}`];
}

/**
 * Headers of every answer. The CSP allows only the app's own scripts (plus WebAssembly for
 * libsodium): no inline code, no eval, no framing (R21).
 */
export function helmetOptions(signalUrl: string | null): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        workerSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", ...signalOrigins(signalUrl)],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: { maxAge: 365 * 24 * 60 * 60, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    xContentTypeOptions: true,
    // The app loads nothing cross-origin; these keep other sites from embedding or opening it.
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  };
}
