// ESLint for the browser code (www/) and its tests (tests/browser/), run by pkg-scripts/lint-web
// from the repository root (paths here are relative to it). Formatting is Prettier's
// (.prettierrc.json); these rules are about what the code means.

import js from '@eslint/js';
import globals from 'globals';

/** What tests/browser/page.html defines for page.evaluate callbacks to call. */
const TEST_PAGE_HELPERS = [
  'Siger',
  'engines',
  'loadEngine',
  'loadError',
  'streamReply',
  'reply',
  'saveSession',
  'restoreSession',
  'cachedKeys',
  'corruptCached',
];

export default [
  { ignores: ['www/pkg/', 'www/models/', '**/node_modules/'] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-unused-vars': ['error', { ignoreRestSiblings: true, varsIgnorePattern: '^_$' }],
    },
  },
  {
    files: ['www/**/*.js'],
    languageOptions: { globals: globals.browser },
    rules: {
      // The house's sizes (shared/docs/STYLE.md): files under ~400 lines, functions under ~50.
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      // Model output and saved threads are only ever set as text (ui/view.js builds elements).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'AssignmentExpression > MemberExpression.left[property.name=/^(innerHTML|outerHTML)$/]',
          message: 'Set text (textContent, h()), never HTML: a reply may hold markup.',
        },
        {
          selector: 'CallExpression[callee.property.name=/^(insertAdjacentHTML|setHTMLUnsafe)$/]',
          message: 'Set text (textContent, h()), never HTML: a reply may hold markup.',
        },
        {
          selector: "CallExpression[callee.object.name='document'][callee.property.name=/^write/]",
          message: 'Set text (textContent, h()), never HTML: a reply may hold markup.',
        },
      ],
    },
  },
  {
    // Run in the engine's Web Worker.
    files: ['www/siger-worker.js', 'www/siger-files.js', 'www/siger-device.js'],
    languageOptions: { globals: globals.worker },
  },
  {
    // The build scripts' Node helpers.
    files: ['pkg-scripts/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // Node scripts whose page.evaluate callbacks run in the browser (the test page's helpers, a worker).
    files: ['tests/browser/*.mjs'],
    languageOptions: {
      globals: {
        ...globals.node,
        ...globals.browser,
        ...Object.fromEntries(TEST_PAGE_HELPERS.map((name) => [name, 'readonly'])),
      },
    },
  },
];
