import { request } from 'node:http';
import { connect } from 'node:net';

/**
 * A PUT whose body is written piece by piece (chunked when no Content-Length is given), for
 * bodies fetch cannot describe. Resolves with the status, or 'reset' if the server cut it off
 * before answering.
 */
export function streamingPut(
  url: string,
  headers: Record<string, string>,
  pieces: Buffer[],
): Promise<{ status: number | 'reset'; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'PUT', headers });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 'reset', body: '' }));
    const write = (i: number) => {
      if (i === pieces.length) return void req.end();
      if (req.destroyed) return;
      req.write(pieces[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

/**
 * Sends a request head promising `declaredLength` bytes, then only `sent`, then hangs up: a client
 * that lies in Content-Length.
 */
export function truncatedPut(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  declaredLength: number,
  sent: Buffer,
): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, host, () => {
      const head = [
        `PUT ${path} HTTP/1.1`,
        `Host: ${host}:${port}`,
        `Content-Length: ${declaredLength}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(sent, () => setTimeout(() => socket.destroy(), 100));
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}
