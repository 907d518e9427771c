import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// These check the built packages as another project would load them (pnpm test builds first).
const root = fileURLToPath(new URL('..', import.meta.url));
const consumer = join(root, 'examples'); // a workspace package that depends on all four by name

function node(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const PACKAGES = {
  '@videoqa/core': {
    dir: 'core',
    cjs: true,
    names: ['runPipeline', 'MemoryStore', 'loadConfig', 'sceneId', 'VideoqaError', 'isRetryable', 'resolveInDataDir'],
  },
  '@videoqa/storage-pg': {
    dir: 'storage-pg',
    cjs: true,
    names: ['PgStore', 'openDatabase', 'migrate', 'claimJob', 'searchContent'],
  },
  '@videoqa/stages': {
    dir: 'stages',
    cjs: false,
    names: ['defaultStages', 'normalizeStage', 'scenesStage', 'ocrStage', 'createOpenAIProviders'],
  },
  '@videoqa/runner': { dir: 'runner', cjs: false, names: ['Worker', 'startDevServer', 'createLogger', 'main'] },
} as const;

describe.each(Object.entries(PACKAGES))('%s as published', (name, pkg) => {
  it('imports as ESM with its public API', () => {
    const r = node([
      '--input-type=module',
      '-e',
      `const m = await import('${name}'); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!)).toEqual(expect.arrayContaining([...pkg.names]));
  });

  it(
    pkg.cjs ? 'requires as CommonJS from its .cjs build' : 'requires from CommonJS on Node >= 22.12 (require of ESM)',
    () => {
      const r = node([
        '-e',
        `const m = require('${name}'); console.log(require.resolve('${name}')); console.log(JSON.stringify(Object.keys(m)))`,
      ]);
      expect(r.status, r.out).toBe(0);
      const [resolved, keys] = r.out.trim().split('\n').slice(-2);
      expect(resolved).toMatch(pkg.cjs ? /dist\/index\.cjs$/ : /dist\/index\.js$/);
      expect(JSON.parse(keys!)).toEqual(expect.arrayContaining([...pkg.names]));
    },
  );

  it('packs with dist, types, README and real version ranges', () => {
    const out = mkdtempSync(join(tmpdir(), 'vq-pack-'));
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(root, 'packages', pkg.dir), stdio: 'pipe' });
    const tarball = join(out, readdirSync(out)[0]!);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of ['package/package.json', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts'])
      expect(files).toContain(f);
    if (pkg.cjs) expect(files).toContain('package/dist/index.cjs');
    // A new embedded database starts as a copy of this build-time template instead of running initdb.
    if (pkg.dir === 'storage-pg') expect(files).toContain('package/dist/pglite-template.tar.gz');
    // The web viewer's files are served from the package itself (videoqa serve): no CDN, no build step.
    if (pkg.dir === 'runner')
      for (const f of ['index.html', 'video.html', 'library.js', 'video.js', 'api.js', 'style.css'])
        expect(files).toContain(`package/viewer/${f}`);
    expect(files.some((f) => f.includes('/src/') || f.endsWith('.test.ts'))).toBe(false);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:');
    expect(manifest.engines.node).toBe('>=22.12');
    expect(manifest.types).toBe('./dist/index.d.ts');
  });
});

describe('@videoqa/stages/internals', () => {
  it('holds the building blocks benchmarks and tests use; the public entry does not', () => {
    const keys = (spec: string) => {
      const r = node([
        '--input-type=module',
        '-e',
        `console.log(JSON.stringify(Object.keys(await import('${spec}'))))`,
      ]);
      expect(r.status, r.out).toBe(0);
      return JSON.parse(r.out.trim().split('\n').pop()!) as string[];
    };
    const internals = keys('@videoqa/stages/internals');
    const pub = keys('@videoqa/stages');
    expect(internals).toEqual(expect.arrayContaining(['detectCuts', 'phash64', 'FrameScorer', 'planChunks']));
    for (const name of internals) expect(pub).not.toContain(name);
  });
});

describe('@videoqa/storage-pg built: a new embedded database', () => {
  it('starts from the build template, migrates and keeps its rows across a reopen', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-dist-pglite-'));
    const script = `
      import { openDatabase } from '@videoqa/storage-pg';
      const first = await openDatabase({ dataDir: process.argv[1] });
      await first.query("INSERT INTO videos (id, original_path, status) VALUES ('dist-test', 'x.mp4', 'pending')");
      await first.close();
      const again = await openDatabase({ dataDir: process.argv[1] });
      const rows = (await again.query("SELECT id FROM videos")).rows;
      const version = (await again.query('SELECT max(version)::int AS v FROM schema_migrations')).rows[0].v;
      await again.close();
      console.log(JSON.stringify({ rows, version }));`;
    try {
      const r = node(['--input-type=module', '-e', script, dataDir]);
      expect(r.status, r.out).toBe(0);
      const out = JSON.parse(r.out.trim().split('\n').pop()!);
      expect(out.rows).toEqual([{ id: 'dist-test' }]);
      expect(out.version).toBeGreaterThanOrEqual(11);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
