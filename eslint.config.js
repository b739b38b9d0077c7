// ESLint (flat config) with typescript-eslint's recommended rules over every package's sources and
// tests. `npm test` runs it (`npm run lint`); a finding fails the run.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'site/.next/**', 'site/next-env.d.ts', '**/.turbo/**', 'test/.tmp/**', 'test/.artifacts/**', '.jupyter/**', 'site/.runtime/**', 'examples/**/out/**'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a parameter or binding kept on purpose (a signature, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Tests and generated notebook modules use `any` where the data's shape is the test's input.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
