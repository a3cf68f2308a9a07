import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import html from 'eslint-plugin-html';

/** Node-RED's runtime and editor packages: only nodes/ may use them. */
const NODE_RED = [
  { group: ['node-red', 'node-red/*', '@node-red/*', 'node-red-node-test-helper'], message: 'lib/ never imports Node-RED: put the Node-RED side in nodes/.' },
];

/** What lib/protocol must not reach: I/O, timers, and the layers that hold them. */
const PROTOCOL_IMPURE = [
  ...NODE_RED,
  {
    group: ['fs', 'fs/*', 'node:fs', 'node:fs/*', 'net', 'node:net', 'tls', 'node:tls', 'dgram', 'node:dgram', 'http', 'node:http', 'https', 'node:https', 'child_process', 'node:child_process', 'timers', 'timers/*', 'node:timers', 'node:timers/*', 'worker_threads', 'node:worker_threads', 'readline', 'node:readline'],
    message: 'lib/protocol is pure: bytes in, typed events out; no I/O and no timers.',
  },
  { group: ['serialport', '@serialport/*'], message: 'lib/protocol is pure: the serial port belongs to lib/link.' },
  { group: ['**/link', '**/link/*', '**/sim', '**/sim/*', '**/cli', '**/cli/*', '**/bridge', '**/bridge/*'], message: 'lib/protocol is the bottom layer: it imports nothing above it.' },
  // lib/clock.ts holds the real timers (systemClock); the Clock interface alone is fine.
  { group: ['**/clock'], allowTypeImports: true, message: 'lib/protocol arms no timers: take a Clock as a type, from the caller.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.node-red/**', 'test/e2e/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Rules that need the types: a promise nobody awaits loses its rejection, and an async
    // function handed to an event emitter or a callback slot rejects into nowhere. The project
    // service takes each file's nearest tsconfig.json (test/ and bench/ have their own, since
    // the build's leaves them out): about 15 s of CPU for the whole tree.
    files: ['lib/**/*.ts', 'nodes/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return a promise the runner itself awaits and reports.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/protocol/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: NODE_RED }] },
  },
  {
    files: ['lib/protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: PROTOCOL_IMPURE }],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'process', 'require'].map((name) => ({
          name,
          message: 'lib/protocol is pure: no timers, no process; take what it needs from the caller.',
        })),
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'scripts/**/*.js', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
  },
  {
    // `const node = this` is the Node-RED idiom for a node's handlers and editor callbacks.
    files: ['nodes/**/*.ts', 'nodes/**/*.html', 'resources/**/*.js'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    // The editor side of each node: plain browser scripts inside the .html files.
    files: ['nodes/**/*.html', 'resources/**/*.js'],
    plugins: { html },
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', RED: 'readonly', $: 'readonly', jQuery: 'readonly' },
    },
  },
);
