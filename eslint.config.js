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

/** Columns a line of code may take. */
const MAX_CODE_COLUMNS = 160;

/**
 * max-code-len: a line may be longer than MAX_CODE_COLUMNS only by the text of its string,
 * template or regex literals (a message or description that is not split, so it stays greppable).
 * Stricter than max-len's ignoreStrings, which exempts any line that merely contains a string.
 */
const maxCodeLen = {
  meta: { type: 'layout', schema: [], messages: { long: 'This line has {{n}} columns of code (string text not counted); the limit is {{max}}: wrap it.' } },
  create(context) {
    const source = context.sourceCode;
    return {
      Program() {
        const literalText = new Map();
        for (const token of source.ast.tokens) {
          if (!['String', 'Template', 'RegularExpression'].includes(token.type)) continue;
          // A literal's text except its delimiters, charged to the lines it sits on.
          for (let line = token.loc.start.line; line <= token.loc.end.line; line++) {
            const from = line === token.loc.start.line ? token.loc.start.column + 1 : 0;
            const to = line === token.loc.end.line ? token.loc.end.column - 1 : source.lines[line - 1].length;
            literalText.set(line, (literalText.get(line) ?? 0) + Math.max(0, to - from));
          }
        }
        source.lines.forEach((text, i) => {
          const n = text.length - (literalText.get(i + 1) ?? 0);
          if (n > MAX_CODE_COLUMNS) context.report({ loc: { line: i + 1, column: 0 }, messageId: 'long', data: { n, max: MAX_CODE_COLUMNS } });
        });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'test-output/', '.kedrec/', 'scripts/neo4j/target/', '**/*.tmp.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { '@stylistic': stylistic, kedrec: { rules: { 'max-code-len': maxCodeLen } } },
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@stylistic/max-len': ['error', { code: MAX_CODE_COLUMNS, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      'kedrec/max-code-len': 'error',
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
