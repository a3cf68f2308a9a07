import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import html from 'eslint-plugin-html';

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
