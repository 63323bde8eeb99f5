// Lint gate (npm run lint, run by .ci/run): the rules that catch what the issue-18 read found —
// non-null assertions where a check would do, casts through `never`/`unknown`, unused code,
// lines too long to read side by side. Unused exports and files are knip's job (knip.json).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

const CASTS = [
  { selector: 'TSAsExpression > TSNeverKeyword', message: '`as never` hides a type error: type the value instead.' },
  {
    selector: "TSAsExpression[expression.type='TSAsExpression'][expression.typeAnnotation.type='TSUnknownKeyword']",
    message: '`as unknown as` converts any type to any other: narrow with a check or a schema instead.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'test-output/', '.kedrec/', 'scripts/neo4j/target/', '**/*.tmp.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { '@stylistic': stylistic },
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@stylistic/max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', ...CASTS],
    },
  },
  {
    // Tests: fixtures and fakes may assert; a failing assertion is the test's own report.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-restricted-syntax': 'off' },
  },
);
