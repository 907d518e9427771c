import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const srcFile = (pkg: string, file: string) => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));
const src = (pkg: string) => srcFile(pkg, 'index.ts');

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; test/dist-entry.test.ts checks the built entry points.
    // Exact matches, so that a subpath such as `@videoqa/stages/internals` gets its own entry.
    alias: [
      { find: /^@videoqa\/stages\/internals$/, replacement: srcFile('stages', 'internals.ts') },
      ...['core', 'stages', 'storage-pg', 'runner', 'testing'].map((pkg) => ({
        find: new RegExp(`^@videoqa/${pkg}$`),
        replacement: src(pkg),
      })),
    ],
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
