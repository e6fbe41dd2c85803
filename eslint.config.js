'use strict';
// npm run lint: ESLint's recommended rules (its own maintained set, @eslint/js) over every
// JavaScript file of the repository, as Node (CommonJS, .mjs as modules) or, for the game's page,
// the browser. Generated code (napi's binding.js) and what is not ours are left out.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  { ignores: ['js/native/binding.js', 'node_modules/**', 'target/**', 'crates/**', 'deps/**', 'npm/**/node_modules/**', 'test-output/**', 'dist/**', 'test/frameworks/kafkajs-examples/**'] },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    files: ['examples/game/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    rules: {
      // `catch {}` and `() => {}` say "nothing to do" on purpose throughout.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A rest element leaves out the names before it on purpose (const { a, ...others } = x).
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
];
