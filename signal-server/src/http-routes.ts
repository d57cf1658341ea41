import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  SIGNAL_ROUTES,
  type HealthResponse,
  type IceServersResponse,
  type ReadyResponse,
} from '@coffre/core/protocol';
import type { Static } from 'typebox';

interface RouteContext {
  allowedOrigins: string[];
  /** False for a request from an address already holding all its connections. */
  admitted(req: IncomingMessage): boolean;
  /** Not draining, and able to reach the other processes when rooms are shared. */
  isReady(): boolean;
  iceServers(): IceServersResponse;
}

/** The three GETs beside the socket (protocol.md §5.5): liveness, readiness, ICE servers. */
export function httpRoutes(context: RouteContext) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    // The app runs on another origin and reads the ICE list with fetch().
    const origin = req.headers.origin;
    if (context.allowedOrigins.length === 0) headers['access-control-allow-origin'] = '*';
    else if (origin && context.allowedOrigins.includes(origin)) {
      headers['access-control-allow-origin'] = origin;
      headers.vary = 'Origin';
    }
    const send = (status: number, body: unknown) => {
      res.writeHead(status, headers);
      res.end(JSON.stringify(body));
    };

    if (!context.admitted(req)) {
      return send(429, {
        error: { code: 'rate_limited', message: 'too many connections from this address' },
      });
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === SIGNAL_ROUTES.health) {
      return send(200, { ok: true } satisfies Static<typeof HealthResponse>);
    }
    if (req.method === 'GET' && path === SIGNAL_ROUTES.ready) {
      const ready = context.isReady();
      return send(ready ? 200 : 503, { ready } satisfies ReadyResponse);
    }
    if (req.method === 'GET' && path === SIGNAL_ROUTES.iceServers) {
      return send(200, context.iceServers());
    }
    send(404, { error: { code: 'not_found', message: 'not found' } });
  };
}
