import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

// Clients that keep a server waiting: a connection that sends nothing, a request head that never
// ends, a body that stops, and one that keeps moving slowly. Each resolves with what the server
// did and when, so a test can hold the server to its bounds.

export interface HeldConnection {
  socket: Socket;
  /** Milliseconds from the connection being open until the server closed it. */
  closedAfter: Promise<number>;
  /** Bytes the server answered before it closed. */
  answer(): string;
}

/**
 * A TCP connection that sends `bytes` (nothing by default) once open and then waits. Rejects if
 * the connection cannot be opened at all.
 */
export function holdConnection(
  port: number,
  bytes = '',
  localAddress = '127.0.0.1',
): Promise<HeldConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => {});
      const opened = performance.now();
      const closedAfter = new Promise<number>((done) =>
        socket.once('close', () => done(performance.now() - opened)),
      );
      if (bytes) socket.write(bytes);
      resolve({ socket, closedAfter, answer: () => answer });
    });
  });
}

/** Whether the server closes a new connection from `localAddress` at once (within `ms`). */
export async function closedAtOnce(port: number, localAddress = '127.0.0.1', ms = 300) {
  const held = await holdConnection(port, '', localAddress);
  const outcome = await Promise.race([
    held.closedAfter.then(() => true),
    new Promise<false>((resolve) => setTimeout(resolve, ms, false)),
  ]);
  held.socket.destroy();
  return outcome;
}

export interface SlowRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Written one after another, `gapMs` apart. */
  pieces: Buffer[];
  gapMs: number;
  /** After the pieces, go silent instead of ending the body. */
  stall?: boolean;
  localAddress?: string;
}

/** A request whose body arrives piece by piece; 'reset' when the server cut it off unanswered. */
export function slowRequest(
  slow: SlowRequest,
): Promise<{ status: number | 'reset'; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(slow.url, {
      method: slow.method,
      headers: slow.headers,
      agent: false,
      ...(slow.localAddress ? { localAddress: slow.localAddress } : {}),
    });
    const done = (status: number | 'reset', body = '') =>
      resolve({ status, body, ms: performance.now() - started });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done(res.statusCode ?? 0, body));
      res.on('error', () => done(res.statusCode ?? 0, body));
    });
    req.on('error', () => done('reset'));
    req.flushHeaders();
    const write = (i: number) => {
      if (req.destroyed) return;
      if (i === slow.pieces.length) {
        if (!slow.stall) req.end();
        return;
      }
      req.write(slow.pieces[i]);
      setTimeout(() => write(i + 1), slow.gapMs);
    };
    setTimeout(() => write(0), slow.gapMs);
  });
}
