import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import { addressKey, clientAddress } from '@coffre/server-kit';

interface Limits {
  maxConnectionsPerIp: number;
  maxConnections: number;
  trustProxy: number;
}

/**
 * Caps connections per client address and per process. The handshake check refuses early and
 * cheaply; the count itself is kept on the Engine.IO connection, which is synchronous, so a
 * burst of handshakes that all passed the check together still cannot exceed the cap.
 */
export function connectionLimits(limits: Limits) {
  const perAddress = new Map<string, number>();
  const addressOf = new WeakMap<IncomingMessage, string>();
  let total = 0;

  const hasRoom = (address: string) =>
    total < limits.maxConnections && (perAddress.get(address) ?? 0) < limits.maxConnectionsPerIp;

  return {
    /** For Socket.IO's `allowRequest`. */
    admits(req: IncomingMessage): boolean {
      const address = addressKey(clientAddress(req, limits.trustProxy));
      addressOf.set(req, address);
      return hasRoom(address);
    },

    /** Counts each Engine.IO connection until it closes; closes the ones over a cap. */
    track(io: Server) {
      io.engine.on(
        'connection',
        (conn: {
          request: IncomingMessage;
          close(): void;
          once(e: 'close', f: () => void): void;
        }) => {
          const address =
            addressOf.get(conn.request) ??
            addressKey(clientAddress(conn.request, limits.trustProxy));
          if (!hasRoom(address)) {
            conn.close();
            return;
          }
          total += 1;
          perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
          conn.once('close', () => {
            total -= 1;
            const left = (perAddress.get(address) ?? 1) - 1;
            if (left <= 0) perAddress.delete(address);
            else perAddress.set(address, left);
          });
        },
      );
    },
  };
}
