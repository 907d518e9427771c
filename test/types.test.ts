import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// The type test: tsc compiles test/types/stage-outputs.ts, whose @ts-expect-error lines must
// fail and whose other lines must pass. A regression in the StageOutputs typing fails it.
it('stage outputs are typed without casts, and a plugin adds its own entry', () => {
  const tsc = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)),
      '--noEmit',
      '-p',
      'test/types/tsconfig.json',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 300_000);
