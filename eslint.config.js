// Type-aware lint: ONNX Runtime, HNSW and SQLite-backed calls are async, and a forgotten
// await is a silent bug, so floating promises fail the build.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'models/cache/**', 'data/collection/**', 'web/dist/**', '.tmp/**', 'test/artifacts/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
