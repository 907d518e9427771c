import { defineConfig } from 'tsup';

// ESM and CommonJS: every dependency of core (eventemitter3, zod) loads in both.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
