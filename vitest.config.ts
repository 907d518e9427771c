import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; test/dist-entry.test.ts checks the built entry points.
    alias: {
      '@videoqa/core': src('core'),
      '@videoqa/stages': src('stages'),
      '@videoqa/storage-pg': src('storage-pg'),
      '@videoqa/runner': src('runner'),
      '@videoqa/testing': src('testing'),
    },
  },
  test: {
    // VIDEOQA_SELFTEST_FILE lets test/test-command-exit.test.ts run one fixture through this same
    // config and global setup, to check that a failing test makes the command fail.
    include: process.env.VIDEOQA_SELFTEST_FILE
      ? [process.env.VIDEOQA_SELFTEST_FILE]
      : ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // Hang guards, not speed limits: on a loaded 2-core machine a CLI or worker test can take minutes.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // ffmpeg-heavy files share two cores; more workers only add contention.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
