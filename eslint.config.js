// `npm run lint` (with lit-analyzer for the templates): rules that catch bugs, not style. Type-aware, on the
// three TypeScript projects the type check builds; the configs and browser pages outside them get the rules
// that need no types.
import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TYPED = ['src/**/*.ts', 'server/**/*.ts', 'build/**/*.ts', 'vite.config.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'test/support/*.mjs', 'bench/**/*.mjs'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.node },
      parserOptions: {
        project: ['./tsconfig.json', './test/browser/tsconfig.json', './server/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc's noUnusedLocals and noUnusedParameters report these in TypeScript; here for the JavaScript files,
      // with `_name` for a parameter a signature needs (engine.io-parser's `_supportsBinary`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `void promise` is this codebase's fire-and-forget; an unhandled floating one is still an error. node:test's
      // `describe` and `it` return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
        },
      ],
      // An async listener or callback passed where a void one is expected is usual in tests and handlers; what
      // matters is that its promise is never silently a condition.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // `${url.searchParams}` is the query string; other objects in a template are `[object Object]`.
      '@typescript-eslint/restrict-template-expressions': ['error', { allow: [{ from: 'lib', name: ['URL', 'URLSearchParams'] }] }],
      // Intent, not bugs: `any` for untyped stats and payloads is spelled out on purpose (the no-unsafe-* rules
      // check what is done with it), an async function without await still returns a promise as its type
      // says, and an assertion the checker finds unnecessary is harmless.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'test/browser/**/*.ts', 'bench/call-setup/pages/*.js', 'bench/camera-switch/pages/*.js', 'demo/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/**/*.ts', 'test/browser/**/*.ts'],
    ...lit.configs['flat/recommended'],
  },
  {
    files: ['src/**/*.ts', 'test/browser/**/*.ts'],
    ...wc.configs['flat/recommended'],
  },
  {
    // @open-wc/semantic-dom-diff types chai's `equal` as returning a promise (for DOM diffs), so every
    // `expect(x).to.equal(y)` would be a floating one; the browser tests await what they mean to.
    files: ['test/browser/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // Tests and benches probe the wire with loosely typed payloads (`any` from acks, JSON.parse, page.evaluate):
    // the unsafe-any rules would flag every line of that, and tsc's strict mode already covers what is typed.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Outside the TypeScript projects: the configs at the root, the demo and the benches' browser pages.
    ignores: TYPED,
    ...tseslint.configs.disableTypeChecked,
  },
);
