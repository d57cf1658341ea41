import type { Server } from 'socket.io';

/**
 * Caps the process's sockets, so its memory is bounded whatever the number of addresses (each
 * address's own connections are server-kit's `boundConnections`). The handshake check refuses
 * early and cheaply; the count itself is kept on the Engine.IO connection, which is synchronous,
 * so a burst of handshakes that all passed the check together still cannot exceed the cap.
 */
export function processLimit(maxConnections: number) {
  let total = 0;
  return {
    /** For Socket.IO's `allowRequest`. */
    admits: () => total < maxConnections,

    /** Counts each Engine.IO connection until it closes; closes the ones over the cap. */
    track(io: Server) {
      io.engine.on(
        'connection',
        (conn: { close(): void; once(e: 'close', f: () => void): void }) => {
          if (total >= maxConnections) return conn.close();
          total += 1;
          conn.once('close', () => (total -= 1));
        },
      );
    },
  };
}
