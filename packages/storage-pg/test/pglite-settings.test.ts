import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteDb } from '@videoqa/storage-pg';
import { describe, expect, it } from 'vitest';

describe('embedded database settings', () => {
  it('PGlite runs with small shared buffers (they live in this process and never shrink), pgvector still loaded', async () => {
    const db = await createPgliteDb({ dataDir: join(mkdtempSync(join(tmpdir(), 'vq-pglite-')), 'db') });
    try {
      const { rows } = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(rows[0]!.shared_buffers).toBe('16MB');
      expect((await db.query<{ temp_buffers: string }>('SHOW temp_buffers')).rows[0]!.temp_buffers).toBe('2MB');
      await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
      expect((await db.query<{ d: number }>("SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d")).rows[0]!.d).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('a new database is created (initdb) in a child process: this process keeps only what opening costs', async () => {
    // In a fresh Node process, so the figure is that process's own peak (VmHWM), not the test runner's.
    const src = fileURLToPath(new URL('../src/pglite-db.ts', import.meta.url));
    const code = `const { createPgliteDb } = await import(${JSON.stringify(src)});
const db = await createPgliteDb({ dataDir: process.argv[1] }); await db.query('SELECT 1'); await db.close();
console.log(/VmHWM:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]);`;
    const dataDir = join(mkdtempSync(join(tmpdir(), 'vq-pglite-')), 'db');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code, dataDir]);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    // initdb in this process peaks above 1000 MiB (measured 1049-1078); opening alone stays near 250.
    expect(Number(stdout.trim()) / 1024).toBeLessThan(600);
  });
});
