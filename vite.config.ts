import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { defineConfig, type LogLevel, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { SHARE_TARGET_FIELD, SHARE_TARGET_PATH } from './client/src/services/outbox/share-inbox.ts';

/**
 * Writes .br and .gz beside each built script and style sheet; the storage server sends them to
 * browsers that accept them (@fastify/static `preCompressed`), so no request pays for compressing.
 */
function precompress(): Plugin {
  return {
    name: 'coffre-precompress',
    apply: 'build',
    async writeBundle(options) {
      const dir = path.join(options.dir ?? '', 'assets');
      for (const name of await readdir(dir)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const file = path.join(dir, name);
        const bytes = await readFile(file);
        await writeFile(`${file}.br`, brotliCompressSync(bytes));
        await writeFile(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

/**
 * vite-plugin-pwa 2.0 builds the service worker apart from the app, and tells that build neither
 * the app build's log level (so `vite build --logLevel warn` still listed the worker's build) nor
 * Rolldown's name for one-file output: it asks with Rollup's `inlineDynamicImports`, which
 * Rolldown warns is now `codeSplitting: false`. `app` goes in the app's plugins, `worker` in the
 * worker's.
 */
function serviceWorkerBuild(): { app: Plugin; worker: Plugin } {
  let logLevel: LogLevel | undefined;
  return {
    app: {
      name: 'coffre-app-log-level',
      configResolved(config) {
        logLevel = config.logLevel;
      },
    },
    worker: {
      name: 'coffre-service-worker-build',
      config: () => (logLevel ? { logLevel } : {}),
      outputOptions({ inlineDynamicImports, ...options }) {
        return inlineDynamicImports ? { ...options, codeSplitting: false } : options;
      },
    },
  };
}

const serviceWorker = serviceWorkerBuild();

// The PWA lives in client/; the storage server serves the built files from dist/client so the
// app, its API and its service worker share one origin (one CSP, no CORS).
export default defineConfig({
  root: 'client',
  publicDir: 'public',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // libsodium (~530 kB) is one chunk, loaded lazily and by the crypto worker, never on first paint.
    chunkSizeWarningLimit: 600,
    // Rolldown's timing report names the slowest plugins of every build (brotli in ours, by
    // design); it is for profiling a build, not a warning about this one.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  // simple-peer's prebundled browser build: its package entry expects Node's stream and Buffer.
  resolve: { alias: [{ find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' }] },
  worker: { format: 'es' },
  plugins: [
    svelte(),
    precompress(),
    serviceWorker.app,
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      injectManifest: {
        buildPlugins: { vite: [serviceWorker.worker] },
        globPatterns: ['**/*.{js,css,html,svg,png,wasm,webmanifest}'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        // Only the browser's install dialog shows these; the app never needs them offline.
        globIgnores: ['screenshots/**'],
      },
      includeAssets: ['favicon.svg', 'apple-touch-icon.png', 'robots.txt'],
      manifest: {
        id: '/',
        name: 'Coffre',
        short_name: 'Coffre',
        description:
          'Your end-to-end encrypted drive: files are encrypted on your device before they leave it.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#1f3a5f',
        background_color: '#f6f7f9',
        categories: ['productivity', 'utilities'],
        icons: [
          { src: '/icon-64.png', sizes: '64x64', type: 'image/png' },
          { src: '/icon-144.png', sizes: '144x144', type: 'image/png' },
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-384.png', sizes: '384x384', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          // The maskable art keeps the lock inside the central 80% circle every mask leaves.
          {
            src: '/icon-192-maskable.png',
            sizes: '192x192',
            type: 'image/png',
            purpose: 'maskable',
          },
          {
            src: '/icon-512-maskable.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
        screenshots: [
          {
            src: '/screenshots/log-in-wide.png',
            sizes: '1280x720',
            type: 'image/png',
            form_factor: 'wide',
            label: 'Logging in to Coffre',
          },
          {
            src: '/screenshots/log-in-narrow.png',
            sizes: '540x960',
            type: 'image/png',
            form_factor: 'narrow',
            label: 'Logging in to Coffre',
          },
        ],
        // Query routes read once by state/app/launch-query.ts after the session opens.
        shortcuts: [
          {
            name: 'Upload files',
            short_name: 'Upload',
            url: '/?action=upload',
            icons: [{ src: '/icon-192.png', sizes: '192x192', type: 'image/png' }],
          },
          {
            name: 'Shared links',
            short_name: 'Links',
            url: '/?view=links',
            icons: [{ src: '/icon-192.png', sizes: '192x192', type: 'image/png' }],
          },
        ],
        // Files shared from other apps are posted to the service worker (sw.ts), which keeps
        // them in the device's share inbox until the drive queues them for upload.
        share_target: {
          action: SHARE_TARGET_PATH,
          method: 'POST',
          enctype: 'multipart/form-data',
          params: { files: [{ name: SHARE_TARGET_FIELD, accept: ['*/*'] }] },
        },
      },
    }),
  ],
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
