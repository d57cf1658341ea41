import { createServer, type Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { SignalConfig } from './config';
import { attachRelay } from './relay';

export interface SignalServer {
  http: HttpServer;
  io: Server;
  /** Stops accepting sockets, tells connected ones to go, and closes. */
  close(): Promise<void>;
}

/**
 * The signal server: Socket.IO for the relay, plain HTTP for health and the ICE server list.
 * It keeps nothing on disk and nothing that outlives a connection.
 */
export function createSignalServer(config: SignalConfig): SignalServer {
  const connectionsPerIp = new Map<string, number>();

  const http = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return send(200, { ok: true });
    if (req.method === 'GET' && req.url === '/ice-servers') {
      return send(200, { iceServers: config.iceServers });
    }
    send(404, { error: { code: 'not_found', message: 'not found' } });
  });

  const io = new Server(http, {
    maxHttpBufferSize: config.maxMessageBytes,
    transports: ['websocket'],
    serveClient: false,
    cors: { origin: config.allowedOrigins.length > 0 ? config.allowedOrigins : true },
    allowRequest: (req, callback) => {
      const ip = req.socket.remoteAddress ?? 'unknown';
      callback(null, (connectionsPerIp.get(ip) ?? 0) < config.maxConnectionsPerIp);
    },
  });

  io.on('connection', (socket) => {
    const ip = socket.conn.remoteAddress;
    connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1);
    socket.once('disconnect', () => {
      const left = (connectionsPerIp.get(ip) ?? 1) - 1;
      if (left <= 0) connectionsPerIp.delete(ip);
      else connectionsPerIp.set(ip, left);
    });
  });
  attachRelay(io, config);

  return {
    http,
    io,
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
  };
}
