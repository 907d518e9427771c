import { defineConfig } from 'tsup';

// ESM only: this package imports ESM-only dependencies (p-queue, and packages built on them).
export default defineConfig({
  entry: ['src/index.ts', 'src/serve-fake-openai.ts', 'src/embedded-postgres-child.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
