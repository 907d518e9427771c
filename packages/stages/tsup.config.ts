import { defineConfig } from 'tsup';

// ESM only: this package imports ESM-only dependencies (p-queue, and packages built on them).
export default defineConfig({
  entry: ['src/index.ts', 'src/internals.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
