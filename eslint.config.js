// Lint enforces the architecture, not just style: the zones below are the dependency rules of
// docs/architecture.md, matched against the file an import resolves to rather than the text of
// its path, so breaking one fails `npm run check`. test/lint plants a violation of each and fails
// unless it is reported.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';

const ROOT = import.meta.dirname;

// Workspace links are kept, not followed: an import through a package's exports resolves under
// node_modules/@coffre/<name>/, a relative reach into the package's folder resolves in the folder,
// and the zones tell the two apart.
const resolver = createNodeResolver({
  extensions: ['.ts', '.js', '.svelte', '.json'],
  conditionNames: ['import', 'default'],
  symlinks: false,
});

// A zone's `from` must be all globs or all plain paths (a folder or a file, with `except` paths
// relative to it); the helpers below give globs.
/** A folder of a workspace package, by either way in. */
const anyWay = (folder) => [`${folder}/**`, `**/node_modules/@coffre/${folder}/**`];
/** npm packages, wherever npm installed them. */
const npm = (...names) => names.map((name) => `**/node_modules/${name}/**`);

const SERVERS = ['storage-server', 'signal-server'];
const IO_LIBRARIES = npm('idb', 'socket.io-client', 'simple-peer', 'client-zip');

const ONLY_SODIUM_TS_LOADS_LIBSODIUM = {
  target: '**',
  from: npm('libsodium*'),
  message: 'libsodium is imported in core/crypto/sodium.ts only.',
};

const CORE_ZONES = [
  {
    target: 'core/**',
    from: ['client', ...SERVERS, 'server-kit'].flatMap(anyWay),
    message: 'core/ is pure: it imports no client, server or server-kit code.',
  },
  {
    target: ['core/format/**', 'core/protocol/**'],
    from: anyWay('core/crypto'),
    message: 'core/format and core/protocol never touch core/crypto.',
  },
  ONLY_SODIUM_TS_LOADS_LIBSODIUM,
  {
    target: ['!(core)/**', '*'],
    from: ['core/**'],
    message: "Outside core/, core is reached through @coffre/core's exports only.",
  },
  {
    target: ['!(test|bench)/**', '*'],
    from: 'node_modules/@coffre/core/crypto',
    except: ['./index.ts', './p2p.ts'],
    message: 'Only test/ and bench/ import @coffre/core/crypto/internal/*.',
  },
];

const SERVER_ZONES = [
  {
    target: [...SERVERS, 'server-kit'].map((folder) => `${folder}/**`),
    from: [...anyWay('core/crypto'), ...anyWay('client')],
    message: 'Servers never touch keys nor client code: no core/crypto, no client/.',
  },
  ...SERVERS.map((server) => ({
    target: `${server}/**`,
    from: SERVERS.filter((other) => other !== server).flatMap(anyWay),
    message: 'The servers never import each other.',
  })),
  {
    target: 'server-kit/**',
    from: SERVERS.flatMap(anyWay),
    message: 'server-kit serves both servers and imports neither.',
  },
];

// The storage server: routes → services → repositories → db, each layer only downwards.
const storage = (part) => `storage-server/src/${part}/**`;
const STORAGE_LAYER_ZONES = [
  {
    target: storage('routes'),
    from: [storage('repositories'), storage('db')],
    message: 'Routes hand typed requests to services; SQL lives in repositories.',
  },
  {
    target: storage('services'),
    from: [storage('routes')],
    message: 'Services are policy: they never import routes.',
  },
  {
    target: storage('repositories'),
    from: [storage('services'), storage('routes')],
    message: 'Repositories hold queries only: they never call services or routes.',
  },
];

const STATE_THROUGH_THE_FACADE = {
  target: 'client/src/state',
  from: 'client/src/services',
  except: ['./index.ts'],
  message: 'state/ reaches services through their façade, client/src/services/index.ts, only.',
};

// client/src/services, lowest first: a layer imports only the layers before it; the two beside
// each other (p2p/direct, p2p/link-room) import neither the other.
const SERVICE_LAYERS = [
  ['contract'],
  ['platform'],
  ['account'],
  ['drive'],
  ['transfers'],
  ['downloads'],
  ['outbox'],
  ['p2p/wire'],
  ['p2p/direct', 'p2p/link-room'],
  ['links'],
  ['index.ts'],
];
const LAYER_ORDER = SERVICE_LAYERS.map((layer) => layer.join(', ')).join(' < ');
const service = (part) => `client/src/services/${part}`;

const CLIENT_ZONES = [
  {
    target: 'client/**',
    from: [...SERVERS, 'server-kit'].flatMap(anyWay),
    message: 'The client never imports server code.',
  },
  {
    target: 'client/src/ui/**',
    from: ['client/src/services/**'],
    message: 'ui/ talks to state/, never to services/.',
  },
  STATE_THROUGH_THE_FACADE,
  {
    target: ['client/src/ui/**', 'client/src/state/**'],
    from: [...IO_LIBRARIES, ...anyWay('core/crypto')],
    message:
      'I/O and keys live in services/: ui/ and state/ import no idb, socket.io-client, simple-peer, client-zip or core/crypto.',
  },
  ...SERVICE_LAYERS.flatMap((layer, index) => {
    const above = SERVICE_LAYERS.slice(index + 1).flat();
    return layer.map((part) => ({
      target: service(part),
      from: [...layer.filter((other) => other !== part), ...above].map(service),
      message: `services/${part} imports only the layers below it: ${LAYER_ORDER}.`,
    }));
  }).filter((zone) => zone.from.length > 0),
];

const ZONES = [...CORE_ZONES, ...SERVER_ZONES, ...STORAGE_LAYER_ZONES, ...CLIENT_ZONES];

const restrictedPaths = (zones) => ({
  'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones }],
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '.test-data/**', 'dev-dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  {
    files: ['**/*.{js,ts,svelte}'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [resolver] },
    rules: {
      ...restrictedPaths(ZONES),
      // A zone skips what does not resolve, so an import of a path @coffre/core does not export
      // (or of a missing file) must fail on its own.
      'import-x/no-unresolved': ['error', { ignore: ['^virtual:'] }],
    },
  },
  { files: ['core/**'], rules: { 'import-x/no-nodejs-modules': 'error' } },
  // The one file allowed to load libsodium.
  {
    files: ['core/crypto/sodium.ts'],
    rules: restrictedPaths(ZONES.filter((zone) => zone !== ONLY_SODIUM_TS_LOADS_LIBSODIUM)),
  },
);
