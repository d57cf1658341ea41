// Lint enforces the architecture, not just style: the import rules below are the dependency
// rules of docs/architecture.md, so breaking one fails `npm run check`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

const NODE_BUILTINS = { group: ['node:*'], message: 'core/ is pure: no Node APIs.' };
const SERVERS = {
  group: ['**/storage-server/**', '**/signal-server/**'],
  message: 'Servers are deployables, never libraries.',
};
const CLIENT = { group: ['**/client/**'], message: 'Only the client imports client code.' };
const CORE_CRYPTO = {
  group: ['**/core/crypto', '**/core/crypto/**', '@coffre/core/crypto', '@coffre/core/crypto/**'],
  message: 'Servers never touch keys: no core/crypto.',
};
const SODIUM = {
  group: ['libsodium-wrappers*'],
  message: 'libsodium is imported in core/crypto/sodium.ts only.',
};
const UI_IO = {
  group: [
    'idb',
    'socket.io-client',
    'simple-peer',
    '**/services/**',
    '**/core/crypto',
    '**/core/crypto/**',
    '@coffre/core/crypto',
    '@coffre/core/crypto/**',
  ],
  message: 'ui/ talks to state/ only; I/O and crypto live in services/.',
};

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
      ...restrict([SODIUM]),
      // no-restricted-imports does not see dynamic import(): guard libsodium there too.
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression[source.value=/^libsodium/]', message: SODIUM.message },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  { files: ['core/**'], rules: restrict([NODE_BUILTINS, SERVERS, CLIENT, SODIUM]) },
  // The one file allowed to load libsodium; it must come after the core/** block to win.
  {
    files: ['core/crypto/sodium.ts'],
    rules: { ...restrict([NODE_BUILTINS, SERVERS, CLIENT]), 'no-restricted-syntax': 'off' },
  },
  {
    files: ['core/format/**', 'core/protocol/**'],
    rules: restrict([NODE_BUILTINS, SERVERS, CLIENT, SODIUM, CORE_CRYPTO]),
  },
  {
    files: ['storage-server/**', 'signal-server/**'],
    rules: restrict([
      CLIENT,
      CORE_CRYPTO,
      SODIUM,
      {
        group: ['**/storage-server/**', '**/signal-server/**'],
        message: 'Servers never import each other.',
      },
    ]),
  },
  { files: ['client/src/ui/**'], rules: restrict([SODIUM, UI_IO, SERVERS]) },
  { files: ['client/**'], ignores: ['client/src/ui/**'], rules: restrict([SODIUM, SERVERS]) },
);
