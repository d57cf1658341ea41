import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/**
 * A malicious-server stand-in: a loopback HTTP proxy in front of the real storage server that
 * can rewrite any response. The page is loaded through it, so the app sees it as its server.
 */
export interface Tamper {
  /**
   * Return a new body for this request, or undefined to pass the upstream response through. A
   * stream is sent as it is read, with no Content-Length.
   */
  (
    req: { method: string; url: string },
    body: Buffer,
    fetchUpstream: Upstream,
  ): Promise<Buffer | Readable | undefined>;
}
export type Upstream = (path: string, headers: IncomingMessage['headers']) => Promise<Buffer>;

/** What reached the server: the audit tests look for secrets in every part of it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface TamperProxy {
  url: string;
  /** The rule in force; replace it between scenarios. */
  tamper: Tamper | null;
  /** When set, every request is buffered and handed here before it is forwarded. */
  record: ((req: RecordedRequest) => void) | null;
  close(): Promise<void>;
}

export async function startTamperProxy(upstream: string): Promise<TamperProxy> {
  const target = new URL(upstream);
  const proxy: TamperProxy = { url: '', tamper: null, record: null, close: async () => {} };

  const forward = (
    method: string,
    url: string,
    headers: IncomingMessage['headers'],
    body?: IncomingMessage | Buffer,
  ) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method, path: url, headers },
        resolve,
      );
      upstreamReq.on('error', reject);
      if (Buffer.isBuffer(body)) upstreamReq.end(body);
      else if (body) body.pipe(upstreamReq);
      else upstreamReq.end();
    });

  const readAll = async (stream: IncomingMessage) => {
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
  };

  const fetchUpstream: Upstream = async (path, headers) => {
    const { range: _range, 'accept-encoding': _encoding, ...rest } = headers;
    return readAll(await forward('GET', path, { ...rest, host: target.host }));
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const rule = method === 'GET' ? proxy.tamper : null;
      // A rule rewrites plain bytes: ask the server for no compression while one is set.
      const { 'accept-encoding': _encoding, ...plain } = req.headers;
      const headers = { ...(rule ? plain : req.headers), host: target.host };
      let body: IncomingMessage | Buffer = req;
      if (proxy.record) {
        body = await readAll(req);
        proxy.record({ method, url, headers: req.headers, body });
      }
      const upstreamRes = await forward(method, url, headers, body);
      if (!rule) {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        return;
      }
      const original = await readAll(upstreamRes);
      const replaced = await rule({ method, url }, original, (p) => fetchUpstream(p, req.headers));
      const answer = replaced ?? original;
      if (answer instanceof Readable) {
        const { 'content-length': _length, etag: _etag, ...streamed } = upstreamRes.headers;
        res.writeHead(upstreamRes.statusCode ?? 502, streamed);
        res.on('close', () => answer.destroy());
        answer.pipe(res);
        return;
      }
      const outHeaders = { ...upstreamRes.headers, 'content-length': String(answer.length) };
      delete outHeaders['etag'];
      res.writeHead(upstreamRes.statusCode ?? 502, outHeaders);
      res.end(answer);
    } catch {
      res.writeHead(502).end();
    }
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
