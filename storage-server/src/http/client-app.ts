import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors';

const IMMUTABLE = 'public, max-age=31536000, immutable';

const NO_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coffre</title></head>
<body><h1>Coffre</h1><p>The web app is not built yet. Run <code>npm run build</code>, then restart the server.</p></body></html>
`;

/** Everything under /api is the API (any version), never the app. */
function isApiPath(pathName: string): boolean {
  return pathName === '/api' || pathName.startsWith('/api/');
}

/** Hashed build output never changes under its name; everything else must be revalidated. */
function cacheControlFor(filePath: string, clientDir: string): string {
  const relative = path.relative(clientDir, filePath).split(path.sep).join('/');
  return relative.startsWith('assets/') ? IMMUTABLE : 'no-cache';
}

/**
 * Serves the built client at `/`. Unknown non-API GETs get index.html so the app's own routes
 * (such as `/s/…` links) load; unknown API paths and other methods get the 404 envelope.
 */
export async function registerClientApp(app: FastifyInstance, clientDir: string) {
  const built = existsSync(path.join(clientDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: clientDir,
      prefix: '/',
      index: false,
      cacheControl: false,
      // The build writes .br/.gz beside its scripts and styles (vite.config.ts).
      preCompressed: true,
      // Directories (including `/`) and API paths go to the fallback below instead.
      allowedPath: (pathName) => !isApiPath(pathName) && !pathName.endsWith('/'),
      setHeaders: (reply, filePath) => {
        reply.header('cache-control', cacheControlFor(filePath, clientDir));
      },
    });
  }

  return function notFound(request: FastifyRequest, reply: FastifyReply) {
    const pathName = request.url.split('?')[0] ?? '';
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (isApiPath(pathName) || !isRead || pathName.startsWith('/assets/')) {
      return sendError(reply, 'not_found', 'no such route');
    }
    reply.header('cache-control', 'no-cache');
    if (!built) return reply.type('text/html; charset=utf-8').send(NO_BUILD_PAGE);
    return reply.sendFile('index.html', clientDir, { cacheControl: false });
  };
}
