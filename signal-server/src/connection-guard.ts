import type { Closing } from '@coffre/core/protocol';
import type { SignalMetrics } from './metrics';
import { eventRateLimiter } from './rate-limit';
import { dismiss, type SignalIo, type SignalSocket } from './relay';

/** An Engine.IO connection: the websocket under a Socket.IO socket. */
type Connection = SignalSocket['conn'];

/**
 * How long a connection cut off for abuse has to read why (`closing` and the websocket close)
 * before it is destroyed, whether or not it answers the close.
 */
const CUT_OFF_GRACE_MS = 1000;

/**
 * The rules of a connection rather than of a socket (protocol.md §5.4). One allowance of packets
 * per second for the connection's whole life, counted on the Engine.IO connection before anything
 * is decoded: every packet type costs the server, pongs and noops as much as events, and a socket
 * that leaves its namespace and connects again must not start afresh. One namespace socket per
 * connection: a second connect is refused by closing the connection, and when the socket goes the
 * connection goes with it. The client always opens a new connection to connect again.
 */
export function guardConnections(
  io: SignalIo,
  maxPacketsPerSecond: number,
  metrics: SignalMetrics,
) {
  const socketOf = new WeakMap<Connection, SignalSocket>();

  /** Says why to the socket, if there is one, closes the connection and reads nothing more. */
  const cutOff = (conn: Connection, reason?: Closing['reason']) => {
    const socket = socketOf.get(conn);
    if (reason) metrics.dismissal(reason);
    if (socket?.connected && reason) dismiss(socket, reason);
    else conn.close();
    const tcp = conn.request.socket;
    tcp.pause();
    setTimeout(() => tcp.destroy(), CUT_OFF_GRACE_MS).unref();
  };

  io.engine.on('connection', (conn: Connection) => {
    const overRate = eventRateLimiter(maxPacketsPerSecond);
    const count = () => {
      if (!overRate()) return;
      conn.off('packet', count);
      cutOff(conn, 'rate_limited');
    };
    conn.on('packet', count);
    conn.once('close', () => conn.off('packet', count));
  });

  io.use((socket, next) => {
    if (socketOf.has(socket.conn)) {
      cutOff(socket.conn);
      return next(new Error('one socket per connection'));
    }
    socketOf.set(socket.conn, socket);
    socket.once('disconnect', () => socket.conn.close());
    next();
  });
}
