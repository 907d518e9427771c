import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { relaunchForBoundedMemory, wantsArenaLimit, wantsBaselineWasm } from '../src/memory-launch.ts';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vq-memory-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Loaded by every node process image the CLI runs as (NODE_OPTIONS survives the relaunch): each
// prints its pid, node flags and MALLOC_ARENA_MAX, so the test sees what the CLI finally ran with.
const reporter = join(dir, 'report-flags.cjs');
writeFileSync(
  reporter,
  'process.stderr.write("image " + JSON.stringify({ pid: process.pid, execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX ?? null }) + "\\n");\n',
);

interface Image {
  pid: number;
  execArgv: string[];
  arenas: string | null;
}

/** Runs `videoqa --version` (built CLI) and returns each process image it ran as, in order. */
function imagesOf(env: NodeJS.ProcessEnv): Image[] {
  const base = { ...process.env };
  delete base.MALLOC_ARENA_MAX;
  const r = spawnSync(process.execPath, [cli, '--version'], {
    env: { ...base, DATA_DIR: dir, NODE_OPTIONS: `--require ${reporter}`, ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stderr.matchAll(/^image (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Image);
}

describe('the CLI starts with bounded memory (memory-launch.ts)', () => {
  it('runs the embedded database with the baseline WebAssembly compiler only by default', () => {
    expect(wantsBaselineWasm({}, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '' }, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '  ' }, [])).toBe(true);
    expect(wantsBaselineWasm({ WASM_OPTIMIZE: 'false' }, [])).toBe(true);
  });

  it('keeps the optimizing tier on PostgreSQL, with WASM_OPTIMIZE=true, or with the user’s own flags', () => {
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

  it('caps malloc arenas unless MALLOC_ARENA_MAX is set', () => {
    expect(wantsArenaLimit({})).toBe(process.platform === 'linux');
    expect(wantsArenaLimit({ MALLOC_ARENA_MAX: '8' })).toBe(false);
  });

  it('after the relaunch, the arena cap it set is not passed on to children (ffmpeg keeps glibc’s default)', () => {
    const saved = { arenas: process.env.MALLOC_ARENA_MAX, marker: process.env.VIDEOQA_MALLOC_ARENAS_SET };
    try {
      process.env.MALLOC_ARENA_MAX = '2';
      process.env.VIDEOQA_MALLOC_ARENAS_SET = '1';
      relaunchForBoundedMemory(); // returns at once: this image is the relaunched one
      expect(process.env.MALLOC_ARENA_MAX).toBeUndefined();
      expect(process.env.VIDEOQA_MALLOC_ARENAS_SET).toBeUndefined();
    } finally {
      for (const [k, v] of [
        ['MALLOC_ARENA_MAX', saved.arenas],
        ['VIDEOQA_MALLOC_ARENAS_SET', saved.marker],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('the built CLI replaces itself (same pid) with `node --liftoff-only` on the embedded database and MALLOC_ARENA_MAX=2', () => {
    const embedded = imagesOf({ DATABASE_URL: '', WASM_OPTIMIZE: '' });
    expect(embedded).toHaveLength(2);
    expect(embedded[0]).toMatchObject({ arenas: null });
    expect(embedded[0]!.execArgv).not.toContain('--liftoff-only');
    expect(embedded[1]).toMatchObject({ pid: embedded[0]!.pid, arenas: '2' });
    expect(embedded[1]!.execArgv).toContain('--liftoff-only');
  });

  it('on PostgreSQL or with WASM_OPTIMIZE=true only the arenas change; a set MALLOC_ARENA_MAX and flags mean no relaunch', () => {
    for (const env of [
      { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' },
      { DATABASE_URL: '', WASM_OPTIMIZE: 'true' },
    ]) {
      const images = imagesOf(env);
      expect(images).toHaveLength(2);
      expect(images[1]).toMatchObject({ pid: images[0]!.pid, arenas: '2' });
      expect(images[1]!.execArgv).not.toContain('--liftoff-only');
    }
    const settled = imagesOf({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', MALLOC_ARENA_MAX: '4' });
    expect(settled).toEqual([expect.objectContaining({ arenas: '4', execArgv: [] })]);
  });
});
