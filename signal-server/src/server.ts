import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Server } from 'socket.io';
import { SIGNAL_SOCKET_PATH } from '@coffre/core/protocol';
import { BOUNDED_SERVER_OPTIONS, boundConnections, closeWithin } from '@coffre/server-kit';
import type { SignalConfig } from './config';
import { guardConnections } from './connection-guard';
import { processLimit } from './process-limit';
import { httpRoutes } from './http-routes';
import { iceServers } from './ice-servers';
import { SignalMetrics } from './metrics';
import { attachRelay, dismiss, type SignalIo } from './relay';
import { shareRoomsThroughRedis, type SharedRooms } from './shared-rooms';
import type { Logger } from 'pino';

export interface SignalServer {
  http: HttpServer;
  io: SignalIo;
  metrics: SignalMetrics;
  /**
   * Graceful shutdown (protocol.md §5.6): stops accepting, tells every socket and disconnects it,
   * and resolves once every connection has closed, or at the deadline after closing the rest
   * (`forced: true`).
   */
  close(): Promise<{ forced: boolean }>;
}

const silent = { warn: () => {}, info: () => {} };

/**
 * The signal server: Socket.IO for the relay, plain HTTP for health and the ICE server list.
 * It keeps nothing on disk and nothing that outlives a connection.
 */
export function createSignalServer(
  config: SignalConfig,
  log: Pick<Logger, 'warn' | 'info'> = silent,
): SignalServer {
  let draining = false;
  let shared: SharedRooms | null = null;
  const limits = processLimit(config.maxConnections);
  const originAllowed = (req: IncomingMessage) =>
    config.allowedOrigins.length === 0 ||
    (req.headers.origin !== undefined && config.allowedOrigins.includes(req.headers.origin));

  const http = createServer(
    BOUNDED_SERVER_OPTIONS,
    httpRoutes({
      allowedOrigins: config.allowedOrigins,
      admitted: (req) => bounds.admitted(req),
      isReady: () => !draining && (shared?.connected() ?? true),
      iceServers: () => iceServers(config, Date.now()),
    }),
  );
  // Every request here is a head of a few hundred bytes and no body: whole within the head's
  // bound, or the connection is holding a descriptor for nothing.
  http.requestTimeout = config.headersTimeoutMs;

  const io: SignalIo = new Server(http, {
    path: SIGNAL_SOCKET_PATH,
    transports: ['websocket'],
    serveClient: false,
    maxHttpBufferSize: config.maxMessageBytes,
    perMessageDeflate: false,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    connectTimeout: 10_000,
    // CORS never applies to websockets: the Origin check is allowRequest's.
    allowRequest: (req, callback) => {
      const ok = !draining && originAllowed(req) && bounds.admitted(req) && limits.admits();
      callback(ok ? null : 'refused', ok);
    },
  });
  // After Socket.IO, which wraps the server's request listeners, so it counts every request.
  const bounds = boundConnections(http, {
    headersTimeoutMs: config.headersTimeoutMs,
    // No request here has a body: a silent connection gets no longer than an unfinished head.
    bodyIdleTimeoutMs: config.headersTimeoutMs,
    maxPendingPerAddress: config.maxConnectionsPerIp,
    maxNewPerAddressPerSecond: config.maxNewConnectionsPerSecond,
    proxyHops: config.trustProxy,
  });
  limits.track(io);
  if (config.redis) shared = shareRoomsThroughRedis(io, config.redis, log);

  // Every TCP connection, upgraded or not, so a shutdown past its deadline can end them all.
  const connections = new Set<Socket>();
  http.on('connection', (conn: Socket) => {
    connections.add(conn);
    conn.once('close', () => connections.delete(conn));
  });
  const metrics = new SignalMetrics(io);
  guardConnections(io, config.maxEventsPerSecond, metrics);
  attachRelay(io, config, metrics);

  return {
    http,
    io,
    metrics,
    close: async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const socket of io.sockets.sockets.values()) dismiss(socket, 'shutdown');
      // Requests still in flight, or sockets that did not finish closing, end at the deadline.
      const outcome = await closeWithin(closed, config.shutdownTimeoutMs, () => {
        for (const conn of connections) conn.destroy();
      });
      io.engine.close();
      await shared?.close();
      return outcome;
    },
  };
}
