// ESLint: typescript-eslint's recommended rules on every script, its type-aware ones on the
// TypeScript (a daemon's promises: no-floating-promises, no-misused-promises), browser globals for
// the status page's scripts, and eslint-config-prettier last so layout is Prettier's alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'data/', 'models/', 'coverage/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Services implement `start(): Promise<void>` as async functions that need not await: a
      // throw is then a rejection, as the interface promises.
      '@typescript-eslint/require-await': 'off',
      // Rejecting with an abort signal's reason or a caught error passes it on unchanged (as
      // node:timers/promises does); literals and plain objects are still refused.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    rules: {
      // A leading underscore marks a parameter or a destructured field left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read JSON the daemon wrote and match it with vitest's asymmetric matchers (typed
      // `any`); the assertions are what check the shapes.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests destructure the scripts' .mjs modules through interfaces written with method
      // syntax; those are plain functions, never bound to `this`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.{ts,mjs,js}'],
    ignores: ['src/web/static/**'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/web/static/js/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  prettier,
);
