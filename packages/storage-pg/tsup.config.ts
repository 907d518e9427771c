import { defineConfig } from 'tsup';

// ESM and CommonJS: pg, PGlite and pgvector all ship both formats.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
