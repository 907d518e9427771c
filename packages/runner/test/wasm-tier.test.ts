import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { wantsBaselineWasm } from '../src/wasm-tier.ts';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vq-wasm-tier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Loaded by every node process the CLI runs as (NODE_OPTIONS survives the relaunch): each
// one prints its pid and node flags, so the test sees what the CLI finally ran with.
const reporter = join(dir, 'report-flags.cjs');
writeFileSync(
  reporter,
  'process.stderr.write("flags " + process.pid + " " + JSON.stringify(process.execArgv) + "\\n");\n',
);

/** Runs `videoqa --version` (built CLI) and returns the flags of each process image, in order. */
function flagsOf(env: NodeJS.ProcessEnv): { pid: number; execArgv: string[] }[] {
  const r = spawnSync(process.execPath, [cli, '--version'], {
    env: { ...process.env, DATA_DIR: dir, NODE_OPTIONS: `--require ${reporter}`, ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stderr.matchAll(/^flags (\d+) (.*)$/gm)].map((m) => ({
    pid: Number(m[1]),
    execArgv: JSON.parse(m[2]!),
  }));
}

describe('WebAssembly tier of the CLI (wasm-tier.ts)', () => {
  it('runs the embedded database with the baseline compiler only by default', () => {
    expect(wantsBaselineWasm({}, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '' }, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '  ' }, [])).toBe(true);
    expect(wantsBaselineWasm({ WASM_OPTIMIZE: 'false' }, [])).toBe(true);
  });

  it('leaves the process as it is on PostgreSQL, with WASM_OPTIMIZE=true, or with the user’s own flags', () => {
    expect(wantsBaselineWasm({ DATABASE_URL: 'postgres://x@127.0.0.1/db' }, [])).toBe(false);
    for (const v of ['true', '1', 'yes', 'ON']) expect(wantsBaselineWasm({ WASM_OPTIMIZE: v }, [])).toBe(false);
    expect(wantsBaselineWasm({}, ['--liftoff-only'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--no-liftoff'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--wasm-tier-up'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--enable-source-maps'])).toBe(true);
  });

  it('an invalid WASM_OPTIMIZE does not stop the relaunch (the config check reports it)', () => {
    expect(wantsBaselineWasm({ WASM_OPTIMIZE: 'maybe' }, [])).toBe(true);
  });

  it('the built CLI replaces itself with `node --liftoff-only` on the embedded database (same pid), not otherwise', () => {
    const embedded = flagsOf({ DATABASE_URL: '', WASM_OPTIMIZE: '' });
    expect(embedded).toHaveLength(2);
    expect(embedded[0]!.execArgv).not.toContain('--liftoff-only');
    expect(embedded[1]!.execArgv).toContain('--liftoff-only');
    expect(embedded[1]!.pid).toBe(embedded[0]!.pid);

    for (const env of [
      { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' },
      { DATABASE_URL: '', WASM_OPTIMIZE: 'true' },
    ]) {
      const images = flagsOf(env);
      expect(images).toHaveLength(1);
      expect(images[0]!.execArgv).not.toContain('--liftoff-only');
    }
  });
});
