import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOWNLOAD_GRANT_HEADER } from '@coffre/core/protocol';

/** Which answer to cut, and whether the server is to see the cut. */
export interface Cut {
  path: RegExp;
  /**
   * true: the connection to the server goes with the page's, before the server could hand over
   * the chunk's last byte. false: the server sends the whole chunk, the page gets half of it.
   */
  serverSees: boolean;
}

/**
 * A loopback proxy in front of the storage server that cuts one chunk answer halfway, as a
 * dropped connection does, and counts the link downloads the server counted.
 */
export interface CutProxy {
  url: string;
  /** The next 200 answer whose path matches is cut, once. */
  next: Cut | null;
  /** Answers cut so far. */
  cuts: number;
  /** Link chunk 0 requests without a grant that the server answered 2xx: downloads counted. */
  counted: number;
  close(): Promise<void>;
}

const LINK_CHUNK_0 = /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/files\/[A-Za-z0-9_-]{22}\/chunks\/0$/;

export async function startCutProxy(upstream: string): Promise<CutProxy> {
  const target = new URL(upstream);
  const proxy: CutProxy = { url: '', next: null, cuts: 0, counted: 0, close: async () => {} };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url,
        headers: { ...req.headers, host: target.host },
        // A connection of its own per answer: one a fast transfer grew would take a whole chunk.
        agent: false,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        if (LINK_CHUNK_0.test(url) && !req.headers[DOWNLOAD_GRANT_HEADER] && status < 300) {
          proxy.counted++;
        }
        const cut = proxy.next;
        res.writeHead(status, answer.headers);
        if (!cut || status !== 200 || !cut.path.test(url)) return void answer.pipe(res);
        proxy.next = null;
        proxy.cuts++;
        if (cut.serverSees) {
          answer.once('data', (first: Buffer) => {
            forwarded.destroy();
            res.write(first, () => res.destroy());
          });
          return;
        }
        const parts: Buffer[] = [];
        answer.on('data', (part: Buffer) => parts.push(part));
        answer.on('end', () => {
          const body = Buffer.concat(parts);
          res.write(body.subarray(0, body.length >> 1), () => res.destroy());
        });
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
